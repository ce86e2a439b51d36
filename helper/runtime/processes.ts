// The processes of a running container, seen from the host, for `strata top`: its cgroup lists
// them, and /proc tells each one's pid inside the container (the last NSpid: the pid namespace
// at work), its parent, real uid, start time, CPU time and command line. And for `strata stats`,
// what its cgroups count: memory and tasks, against the limits run set (--memory, --pids-limit).
import { readFile } from 'node:fs/promises';
import type { ContainerProcessInfo } from '../protocol/types';
import { cgroupProcs, pidInContainer } from './cgroups';
import { containerCgroupDirs } from './cgroup-layout';
import { checkContainerId } from './validate';

/** What top shows of each process (the protocol's type: the engine hands it on as it is). */
export type ProcessInfo = ContainerProcessInfo;

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux the helper runs on

async function bootTimeMs(): Promise<number> {
  const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
  return btime ? Number(btime[1]) * 1000 : 0;
}

/** ps's TTY name of a tty_nr: Unix98 ptys (majors 136-143) are pts/N, the console's ttyN; 0 is none. */
export function ttyName(ttyNr: number): string {
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (ttyNr === 0) return '?';
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4 && minor < 64) return `tty${minor}`;
  if (major === 4) return `ttyS${minor - 64}`;
  return '?';
}

async function uptimeSeconds(): Promise<number> {
  return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
}

async function describe(pid: number, boot: number, uptime: number): Promise<ProcessInfo | null> {
  try {
    const [status, stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`),
    ]);
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    const nsPids = field('NSpid').split(/\s+/).map(Number);
    // stat: "pid (comm) state ppid ...": comm may hold spaces and parentheses; fields follow the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const [utime, stime, startTicks, ttyNr] = [Number(rest[11]), Number(rest[12]), Number(rest[19]), Number(rest[4])];
    const elapsed = uptime - startTicks / TICKS_PER_SECOND;
    // Trailing NULs end the list (--init's reaper rewrites its arguments and NUL-fills the rest).
    const argv = cmdline.toString('utf8').replace(/\0+$/, '').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
    return {
      pid,
      containerPid: nsPids[nsPids.length - 1],
      ppid: Number(rest[1]),
      uid: Number(field('Uid').split(/\s+/)[0]),
      started: new Date(boot + (startTicks / TICKS_PER_SECOND) * 1000).toISOString(),
      cpuSeconds: (utime + stime) / TICKS_PER_SECOND,
      command: argv.length ? argv.join(' ') : `[${comm}]`,
      // procps's pcpu: CPU time over time since it started, in whole percent
      cpuPercent: elapsed > 0 ? Math.floor((((utime + stime) / TICKS_PER_SECOND) / elapsed) * 100) : 0,
      tty: ttyName(ttyNr),
    };
  } catch {
    return null; // exited between the list and the read
  }
}

export async function containerProcesses(id: string): Promise<ProcessInfo[]> {
  checkContainerId(id);
  const dir = containerCgroupDirs(id).find((d) => d.controller === 'pids' || d.controller === 'unified')?.dir;
  if (!dir) return [];
  const boot = await bootTimeMs();
  const uptime = await uptimeSeconds();
  const found: ProcessInfo[] = [];
  for (const pid of await cgroupProcs(dir)) {
    // A pid read from the list may have been reused by the time /proc is read: checked again.
    const info = await describe(pid, boot, uptime);
    if (info && (await pidInContainer(pid, id))) found.push(info);
  }
  return found.sort((a, b) => a.containerPid - b.containerPid);
}

/** A cgroup number file: a count, or null for "max" (no limit) or a file that is not there. */
async function cgroupNumber(dir: string | undefined, file: string): Promise<number | null> {
  if (!dir) return null;
  const text = (await readFile(`${dir}/${file}`, 'utf8').catch(() => '')).trim();
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** v1's "no limit" is the largest page-aligned 63-bit number, not "max". */
const V1_UNLIMITED = 2 ** 62;

/** What the container's cgroups count now: memory in use and its limit, tasks and their limit. */
export async function containerUsage(id: string): Promise<{ memoryBytes: number | null; memoryLimit: number | null; pids: number | null; pidsLimit: number | null }> {
  checkContainerId(id);
  const dirs = containerCgroupDirs(id);
  const unified = dirs.find((d) => d.controller === 'unified')?.dir;
  const memory = unified ?? dirs.find((d) => d.controller === 'memory')?.dir;
  const pids = unified ?? dirs.find((d) => d.controller === 'pids')?.dir;
  const memoryLimit = await cgroupNumber(memory, unified ? 'memory.max' : 'memory.limit_in_bytes');
  return {
    memoryBytes: await cgroupNumber(memory, unified ? 'memory.current' : 'memory.usage_in_bytes'),
    memoryLimit: memoryLimit !== null && memoryLimit >= V1_UNLIMITED ? null : memoryLimit,
    pids: await cgroupNumber(pids, 'pids.current'),
    pidsLimit: await cgroupNumber(pids, 'pids.max'),
  };
}

/** Bytes received and sent on the interfaces of the network namespace `pid` is in, but lo (as
 *  Docker counts a container's own interfaces): /proc/<pid>/net/dev read from the host. */
export async function networkBytes(pid: number): Promise<{ rx: number; tx: number } | null> {
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => null);
  if (text === null) return null;
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    rx += f[0];
    tx += f[8];
  }
  return { rx, tx };
}

/** Bytes its processes read from and wrote to block devices: blkio's io_service_bytes (v1) or io.stat (v2). */
export async function blockBytes(id: string): Promise<{ read: number; write: number } | null> {
  checkContainerId(id);
  const dirs = containerCgroupDirs(id);
  const unified = dirs.find((d) => d.controller === 'unified')?.dir;
  let read = 0;
  let write = 0;
  if (unified) {
    const text = await readFile(`${unified}/io.stat`, 'utf8').catch(() => null);
    if (text === null) return null;
    for (const m of text.matchAll(/rbytes=(\d+) wbytes=(\d+)/g)) { read += Number(m[1]); write += Number(m[2]); }
    return { read, write };
  }
  const blkio = dirs.find((d) => d.controller === 'blkio')?.dir;
  if (!blkio) return null;
  // The throttle file counts every I/O (io_service_bytes counts only CFQ's); lines "MAJ:MIN Read N"
  const text = await readFile(`${blkio}/blkio.throttle.io_service_bytes`, 'utf8').catch(() => null);
  if (text === null) return null;
  for (const m of text.matchAll(/^\d+:\d+ (Read|Write) (\d+)$/gm)) {
    if (m[1] === 'Read') read += Number(m[2]);
    else write += Number(m[2]);
  }
  return { read, write };
}
