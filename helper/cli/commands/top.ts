// strata top: a running container's processes, as the host sees them (PID, and Docker's `ps -ef`
// columns) and as the container does (CONTAINER PID: its pid namespace at work, 1 is its command).
import { formatFlag, helpFlag } from '../args';
import { type Command, protocolJson } from '../command';
import { json, printable, table } from '../format';

/** ps's STIME: the time of day when it started today, else the month and day. */
function startTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  if (d.toDateString() === now.toDateString()) return `${two(d.getHours())}:${two(d.getMinutes())}`;
  return `${d.toLocaleString('en', { month: 'short' })}${two(d.getDate())}`;
}

/** ps's TIME: CPU time as [DD-]HH:MM:SS. */
function cpuTime(seconds: number): string {
  const s = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(s / 86400);
  return `${days ? `${days}-` : ''}${two(Math.floor(s / 3600) % 24)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

export const top: Command = {
  spec: {
    name: 'top', usage: '[OPTIONS] CONTAINER', summary: "Display the running processes of a container (PID on the host, CONTAINER PID inside its pid namespace)",
    flags: [{ ...formatFlag, help: '"json": the processes as a JSON array' }, helpFlag], minArgs: 1, maxArgs: 1,
  },
  async run(ctx) {
    const procs = await (await ctx.client()).request('container.top', { id: ctx.args[0] });
    if (protocolJson(ctx)) { ctx.out(json(procs)); return 0; }
    // Docker's `ps -ef` columns in their places; Strata's CONTAINER PID last before CMD (which has spaces)
    ctx.out(table(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CONTAINER PID', 'CMD'], procs.map((p) => [
      String(p.uid), String(p.pid), String(p.ppid), String(p.cpuPercent ?? 0), startTime(p.started), p.tty ?? '?', cpuTime(p.cpuSeconds), String(p.containerPid), printable(p.command),
    ])));
    return 0;
  },
};
