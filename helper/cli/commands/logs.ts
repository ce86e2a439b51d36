// strata logs: what a container printed, kept by the helper (engine/logs.ts), as docker logs shows it.
import { randomBytes } from 'node:crypto';
import { helpFlag, UsageError } from '../args';
import { bool, type Command, CommandError, str } from '../command';
import { dockerTime } from '../docker-time';

function timeFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const t = dockerTime(value, Date.now());
  if (t === undefined) throw new CommandError(`invalid value for "${flag}": failed to parse value as time or duration: "${value}"`, 1);
  return Math.max(0, t);
}

/** Writes a log's bytes, each line after a newline prefixed with the time it was printed. */
function timestamped(): (out: NodeJS.WritableStream, data: Buffer, time: number) => void {
  const atLineStart = new Map<NodeJS.WritableStream, boolean>();
  return (out, data, time) => {
    const stamp = `${new Date(time).toISOString()} `;
    let from = 0;
    let lineStart = atLineStart.get(out) ?? true;
    while (from < data.length) {
      const nl = data.indexOf(0x0a, from);
      const end = nl < 0 ? data.length : nl + 1;
      out.write(lineStart ? Buffer.concat([Buffer.from(stamp), data.subarray(from, end)]) : data.subarray(from, end));
      lineStart = nl >= 0;
      from = end;
    }
    atLineStart.set(out, lineStart);
  };
}

export const logs: Command = {
  spec: {
    name: 'logs', usage: '[OPTIONS] CONTAINER', summary: 'Fetch the logs of a container (what its command printed, kept up to 64 MiB)',
    flags: [
      { long: 'follow', short: 'f', kind: 'bool', help: 'Follow log output (until the container stops)' },
      { long: 'tail', short: 'n', kind: 'string', value: 'string', help: 'Number of lines to show from the end of the logs (default "all")' },
      { long: 'timestamps', short: 't', kind: 'bool', help: 'Show timestamps' },
      { long: 'since', kind: 'string', value: 'string', help: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
      { long: 'until', kind: 'string', value: 'string', help: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
      helpFlag,
    ],
    minArgs: 1, maxArgs: 1,
  },
  async run(ctx) {
    const tailFlag = str(ctx, 'tail') ?? 'all';
    if (tailFlag !== 'all' && !/^\d{1,9}$/.test(tailFlag)) throw new UsageError(`invalid --tail ${JSON.stringify(tailFlag)}: a number of lines, or "all"`);
    const client = await ctx.client();
    const session = randomBytes(32).toString('hex');
    const write = bool(ctx, 'timestamps') ? timestamped() : (out: NodeJS.WritableStream, data: Buffer) => void out.write(data);
    const ended = new Promise<number>((resolve, reject) => {
      client.lost.catch(reject);
      client.on('session.output', (p) => {
        if (p.session === session) write(p.stream === 'stderr' ? process.stderr : process.stdout, Buffer.from(p.data, 'base64'), p.time ?? Date.now());
      });
      client.on('session.exit', (p) => { if (p.session === session) resolve(p.exitCode); });
    });
    const since = timeFlag(str(ctx, 'since'), 'since');
    const until = timeFlag(str(ctx, 'until'), 'until');
    await client.request('container.logs', { id: ctx.args[0], session, follow: bool(ctx, 'follow'), tail: tailFlag === 'all' ? undefined : Number(tailFlag), since, until });
    return ended;
  },
};
