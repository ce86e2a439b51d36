// strata stats: what the cgroups of running containers count (memory, tasks) against the limits
// `run` set (--memory, --pids-limit), and the CPU their processes used, as docker stats prints
// it. On a terminal it redraws every second until Ctrl-C; --no-stream, or piped, prints once.
import { totalmem } from 'node:os';
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, type CommandContext, str } from '../command';
import { renderList } from '../docker-format';
import { STATS_LIST, statsRow } from '../docker-rows';
import type { StrataClient } from '../../protocol/client';
import type { ContainerStats } from '../../protocol/types';

const SAMPLE_MS = 1000;

/** The name or id the user gave for a container, as Docker's Container column shows it (else its id). */
function refOf(s: ContainerStats, refs: string[]): string {
  return refs.find((r) => r === s.name || s.id.startsWith(r)) ?? s.id;
}

function render(ctx: CommandContext, now: ContainerStats[], before: Map<string, number>, seconds: number): string {
  const host = totalmem(); // no limit: the host's memory, as Docker shows it
  const trunc = !bool(ctx, 'no-trunc');
  return renderList(str(ctx, 'format'), STATS_LIST, now.map((s) => {
    const cpu = before.has(s.id) ? Math.max(0, (s.cpuSeconds - before.get(s.id)!) / seconds) * 100 : 0;
    return statsRow(s, refOf(s, ctx.args), cpu, host, trunc);
  }));
}

async function sample(client: StrataClient, ids: string[]): Promise<{ stats: ContainerStats[]; at: number }> {
  return { stats: await client.request('containers.stats', { ids }), at: Date.now() };
}

export const stats: Command = {
  spec: {
    name: 'stats', usage: '[OPTIONS] [CONTAINER...]', summary: "Display containers' memory, tasks and CPU against their limits (the running ones by default)",
    flags: [
      formatFlag,
      { long: 'no-stream', kind: 'bool', help: 'Print one reading and exit (also when not on a terminal)' },
      { long: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      helpFlag,
    ],
  },
  async run(ctx: CommandContext) {
    const client = await ctx.client();
    let last = await sample(client, ctx.args);
    const stream = !bool(ctx, 'no-stream') && process.stdout.isTTY;
    for (;;) {
      // CPU % needs two readings: the CPU time used between them, per second (100% = one CPU).
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      const next = await sample(client, ctx.args);
      const text = render(ctx, next.stats, new Map(last.stats.map((s) => [s.id, s.cpuSeconds])), (next.at - last.at) / 1000);
      if (!stream) { ctx.out(text); return 0; }
      ctx.out(`\x1b[2J\x1b[H${text}`); // clear the screen and redraw, as docker stats does
      last = next;
    }
  },
};
