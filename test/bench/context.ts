// What every row of the bench shares: the work folder, Strata's store and its API client, the
// peers that run, the inputs (the busybox tar, a large root fs tar), and how to run a CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Peer } from '../support/peers';
import type { StrataApi } from './strata-api';

export interface BenchContext {
  repo: string;
  quick: boolean;
  work: string;
  /** Strata's store for every row but the CLI floor's (which wants one that is empty). */
  storeRoot: string;
  strata: StrataApi;
  peers: Peer[];
  /** The busybox root fs as a tar, imported as `bb` into Strata and every peer. */
  bbTar: string;
  /** How many files the commit and changes rows write (1000; fewer with --quick). */
  files: number;
  runs: number;
}

/** argv for the strata command as a user runs it (bin/strata), against `root`. */
export function strataCli(ctx: BenchContext, root: string, ...args: string[]): [string, string[], NodeJS.ProcessEnv] {
  return [join(ctx.repo, 'bin/strata'), ['--root', root, ...args], process.env];
}

/** Runs a command to the end and throws with its stderr when it fails (a row's side then fails). */
export function run([cmd, args, env]: [string, string[], NodeJS.ProcessEnv]): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
  return r.stdout;
}

/** The shell line that writes `n` small files into `dir` (the commit and changes rows' workload). */
export const writer = (n: number, dir = '/many') => `mkdir ${dir} && cd ${dir} && i=0; while [ $i -lt ${n} ]; do i=$((i+1)); echo $i > f$i; done`;

/** A debootstrap --variant=minbase bookworm root fs as a tar (204 MB, 6768 entries), made once and
 *  kept in /var/cache/strata-bench; undefined (with why) when debootstrap cannot make it here. */
export function minbaseTar(): { file?: string; why?: string } {
  const cache = '/var/cache/strata-bench';
  const tar = join(cache, 'bookworm-minbase.tar');
  if (existsSync(tar) && statSync(tar).size > 0) return { file: tar };
  mkdirSync(cache, { recursive: true });
  const dir = join(cache, 'bookworm');
  if (!existsSync('/usr/sbin/debootstrap')) spawnSync('apt-get', ['install', '-y', '-q', 'debootstrap'], { stdio: 'inherit' });
  console.log('making a debootstrap --variant=minbase bookworm root fs (once; kept in /var/cache/strata-bench)');
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync('debootstrap', ['--variant=minbase', 'bookworm', dir], { stdio: 'ignore' });
  if (r.status !== 0) return { why: `debootstrap exited ${r.status}` };
  execFileSync('tar', ['-C', dir, '-cf', tar, '.']);
  rmSync(dir, { recursive: true, force: true });
  return { file: tar };
}

/** The peak resident memory of a process since its peak was last reset (VmHWM), in MB. */
export function peakMB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Resets a process's peak resident memory to what it holds now (proc(5): clear_refs 5). */
export function resetPeak(pid: number): void {
  execFileSync('sh', ['-c', `echo 5 > /proc/${pid}/clear_refs`]);
}
