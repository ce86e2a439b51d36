// strata stats: what the cgroups of running containers count (memory, tasks) against the limits
// `run` set (--memory, --pids-limit), and the CPU their processes used, as docker stats prints
// it. On a terminal it redraws every second until Ctrl-C; --no-stream, or piped, prints once.
import { totalmem } from 'node:os';
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, type CommandContext, wantsJson } from '../command';
import { json, table } from '../format';
import type { StrataClient } from '../../protocol/client';
import type { ContainerStats } from '../../protocol/types';

const SAMPLE_MS = 1000;

/** Docker's binary units for memory ("12.5MiB / 7.7GiB"). */
function mib(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)}${units[u]}`;
}

function render(now: ContainerStats[], before: Map<string, number>, seconds: number): string {
  const host = totalmem();
  return table(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'], now.map((s) => {
    const limit = s.memoryLimit ?? host; // no limit: the host's memory, as Docker shows it
    const cpu = before.has(s.id) ? Math.max(0, (s.cpuSeconds - before.get(s.id)!) / seconds) * 100 : 0;
    return [
      s.id.slice(0, 12), s.name, `${cpu.toFixed(2)}%`,
      `${s.memoryBytes === null ? '--' : mib(s.memoryBytes)} / ${mib(limit)}`,
      s.memoryBytes === null ? '--' : `${((s.memoryBytes / limit) * 100).toFixed(2)}%`,
      s.pids === null ? '--' : `${s.pids}${s.pidsLimit === null ? '' : ` / ${s.pidsLimit}`}`,
    ];
  }));
}

async function sample(client: StrataClient, ids: string[]): Promise<{ stats: ContainerStats[]; at: number }> {
  return { stats: await client.request('containers.stats', { ids }), at: Date.now() };
}

export const stats: Command = {
  spec: {
    name: 'stats', usage: '[OPTIONS] [CONTAINER...]', summary: "Display containers' memory, tasks and CPU against their limits (the running ones by default)",
    flags: [{ long: 'no-stream', kind: 'bool', help: 'Print one reading and exit (also when not on a terminal)' }, formatFlag, helpFlag],
  },
  async run(ctx: CommandContext) {
    const client = await ctx.client();
    let last = await sample(client, ctx.args);
    if (wantsJson(ctx)) { ctx.out(json(last.stats)); return 0; }
    const stream = !bool(ctx, 'no-stream') && process.stdout.isTTY;
    for (;;) {
      // CPU % needs two readings: the CPU time used between them, per second (100% = one CPU).
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      const next = await sample(client, ctx.args);
      const text = render(next.stats, new Map(last.stats.map((s) => [s.id, s.cpuSeconds])), (next.at - last.at) / 1000);
      if (!stream) { ctx.out(text); return 0; }
      ctx.out(`\x1b[2J\x1b[H${text}`); // clear the screen and redraw, as docker stats does
      last = next;
    }
  },
};
