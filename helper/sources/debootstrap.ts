// Debian's debootstrap, run for the helper: installed when missing, started in namespaces of its own
// so that a cancel leaves nothing behind, its progress read as it goes (debootstrap-progress.ts).
//
// It runs as `setpriv --pdeathsig KILL unshare --pid --fork --kill-child --mount --mount-proc
// debootstrap ...`, in its own process group:
//  - a pid namespace whose init is debootstrap: when it dies the kernel kills every process left in
//    the namespace (pid_namespaces(7)), even one that left the process group with setsid, so a
//    SIGKILL to the group ends all of it (wget, dpkg, maintainer scripts);
//  - a private mount namespace: the proc and sysfs that debootstrap mounts in the target vanish with
//    it (mount_namespaces(7)) instead of staying mounted under the store's tmp/, where removing the
//    staging folder would recurse into them (or into a bind of the host's /dev, as debootstrap does
//    in an lxc container);
//  - pdeathsig: if the helper itself dies, unshare is killed, and --kill-child takes debootstrap.
import { execa } from 'execa';
import { existsSync, promises as fs } from 'node:fs';
import { join, posix } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { DebootstrapProgress, type DebootstrapEvent } from './debootstrap-progress';

export const DEBOOTSTRAP = '/usr/sbin/debootstrap';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export interface DebootstrapOptions {
  suite: string;
  /** debootstrap's --variant; '-' (or none) is its default set (required and important). */
  variant?: string;
  mirror?: string;
  include?: string[];
  components?: string[];
}

/** The flags a user chose, as debootstrap takes them (no target, cache or protocol flags). */
function userFlags(o: DebootstrapOptions): string[] {
  return [
    ...(o.variant && o.variant !== '-' ? [`--variant=${o.variant}`] : []),
    ...(o.include?.length ? [`--include=${o.include.join(',')}`] : []),
    ...(o.components?.length ? [`--components=${o.components.join(',')}`] : []),
  ];
}

/** What the image's history says made it: `debootstrap --variant=minbase bookworm <mirror>`. */
export function debootstrapCommand(o: DebootstrapOptions): string {
  return ['debootstrap', ...userFlags(o), o.suite, o.mirror ?? DEFAULT_MIRROR].join(' ');
}

const SCRIPTS = '/usr/share/debootstrap/scripts';

function unknownSuite(suite: string): StrataError {
  return new StrataError(ErrorCode.NotFound, `debootstrap knows no suite "${suite}" (its suites: ls ${SCRIPTS})`);
}

/** Refuses a suite debootstrap has no script for, before anything is made for it. */
export function checkSuite(suite: string): void {
  if (!existsSync(join(SCRIPTS, suite))) throw unknownSuite(suite);
}

let installing: Promise<void> | undefined;

/** Installs Debian's debootstrap with apt-get when it is missing (once at a time); refuses without root. */
export function ensureDebootstrap(say: (message: string) => void): Promise<void> {
  if (existsSync(DEBOOTSTRAP)) return Promise.resolve();
  if (process.getuid?.() !== 0) {
    return Promise.reject(new StrataError(ErrorCode.NotFound, `${DEBOOTSTRAP} not found: install Debian's debootstrap package (apt-get install debootstrap)`));
  }
  installing ??= aptInstall('debootstrap', say).finally(() => { installing = undefined; });
  return installing;
}

async function aptInstall(pkg: string, say: (message: string) => void): Promise<void> {
  say(`installing ${pkg} (apt-get install ${pkg})`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  // Waits up to a minute for another apt or dpkg to finish instead of failing at once.
  const install = () => execa('apt-get', ['-o', 'DPkg::Lock::Timeout=60', 'install', '-y', '-q', '--no-install-recommends', pkg], { env, reject: false, all: true, stdin: 'ignore' });
  let res = await install();
  if (res.exitCode !== 0) {
    say('updating the package lists (apt-get update)');
    await execa('apt-get', ['-o', 'DPkg::Lock::Timeout=60', 'update', '-q'], { env, reject: false, stdin: 'ignore' });
    res = await install();
  }
  if (res.exitCode !== 0 || !existsSync(DEBOOTSTRAP)) {
    const tail = String(res.all ?? '').trim().split('\n').slice(-3).join(' / ');
    throw new StrataError(ErrorCode.RuntimeFailed, `apt-get could not install ${pkg} (install Debian's ${pkg} package by hand): ${tail}`);
  }
}

/** The host's Debian architecture (amd64, arm64, ...): the cache is kept per suite and architecture. */
export async function hostArchitecture(): Promise<string> {
  const { stdout } = await execa('dpkg', ['--print-architecture'], { stdin: 'ignore' });
  return stdout.trim();
}

export interface RunOptions extends DebootstrapOptions {
  target: string;
  /** Where the .debs are kept between runs (debootstrap's --cache-dir, 1.0.128 on bookworm has it). */
  cacheDir: string;
  signal: AbortSignal;
  onEvent: (event: DebootstrapEvent) => void;
}

/** Runs debootstrap into `target`; resolves with its counts, or rejects (Cancelled when aborted). */
export async function runDebootstrap(o: RunOptions): Promise<{ packages: number; downloaded: number }> {
  o.signal.throwIfAborted();
  const args = ['--pdeathsig', 'KILL', '--', 'unshare', '--pid', '--fork', '--kill-child', '--mount', '--mount-proc', '--propagation', 'private', '--',
    DEBOOTSTRAP, '--debian-installer', ...userFlags(o), `--cache-dir=${o.cacheDir}`, o.suite, o.target, o.mirror ?? DEFAULT_MIRROR];
  const child = execa('setpriv', args, {
    // fd 3: the installer protocol; stdout and stderr: debootstrap's full log (the tail names a failure).
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    buffer: false, reject: false, detached: true, extendEnv: false, env: debootstrapEnv(),
  });
  const progress = new DebootstrapProgress(o.onEvent);
  const log = new DebootstrapProgress(); // the same protocol's E: lines may come on stdout, before fd 3 is set up
  const tail: string[] = [];
  const reading = Promise.all([
    readLines(child.stdio[3] as Readable, (l) => progress.line(l)),
    readLines(child.stdout!, (l) => { log.line(l); keepTail(tail, l); }),
    readLines(child.stderr!, (l) => keepTail(tail, l)),
  ]);
  const pgid = child.pid;
  const kill = () => { if (pgid) try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } };
  o.signal.addEventListener('abort', kill, { once: true });
  try {
    const result = await child;
    await reading;
    if (pgid) await groupGone(pgid);
    if (o.signal.aborted) throw new StrataError(ErrorCode.Cancelled, 'cancelled; debootstrap and its processes were stopped');
    if (result.exitCode !== 0) {
      if ((progress.errorName ?? log.errorName) === 'NOSCRIPT') throw unknownSuite(o.suite);
      const why = progress.error ?? log.error ?? (tail.join('\n') || result.message);
      throw new StrataError(ErrorCode.RuntimeFailed, `debootstrap failed (${result.signal ?? `exit ${result.exitCode}`}): ${why}`);
    }
    return { packages: progress.packages, downloaded: progress.downloaded };
  } finally {
    o.signal.removeEventListener('abort', kill);
  }
}

/** Only what debootstrap needs: no `container=` (it would take the host for an lxc guest), a proxy if the helper has one. */
function debootstrapEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LC_ALL: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' };
  for (const k of ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return env;
}

function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    stream.on('error', () => resolve());
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine).on('close', resolve);
  });
}

function keepTail(tail: string[], line: string): void {
  tail.push(line);
  if (tail.length > 20) tail.shift();
}

/** Waits until no process of the group is left (the pid namespace's others go with its init). */
async function groupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new StrataError(ErrorCode.RuntimeFailed, `debootstrap's processes (group ${pgid}) did not end within 10 s of being killed`);
}

/**
 * Whether `path` is an executable file in the root fs at `root`, following symlinks as the
 * container will see them: an absolute link resolves inside `root`, never on the host.
 */
export async function executableInRoot(root: string, path: string, hops = 0): Promise<boolean> {
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean); // no '..' is left to climb out
  let at = '/';
  for (let i = 0; i < parts.length; i++) {
    const st = await fs.lstat(join(root, at, parts[i])).catch(() => null);
    if (!st) return false;
    if (st.isSymbolicLink()) {
      if (hops >= 40) return false;
      const target = await fs.readlink(join(root, at, parts[i]));
      const rest = parts.slice(i + 1).join('/');
      return executableInRoot(root, posix.join(target.startsWith('/') ? '/' : at, target, rest), hops + 1);
    }
    if (i === parts.length - 1) return st.isFile() && (st.mode & 0o111) !== 0;
    if (!st.isDirectory()) return false;
    at = posix.join(at, parts[i]);
  }
  return false;
}

/**
 * Drops the .debs debootstrap left in the root fs's apt cache (var/cache/apt/archives, as `apt-get
 * clean` does); the store's own cache keeps them. Each folder on the way must be a real folder, not
 * a link that would take the removal out of the root fs.
 */
export async function dropDebs(root: string): Promise<number> {
  let dir = root;
  for (const part of ['var', 'cache', 'apt', 'archives']) {
    dir = join(dir, part);
    const st = await fs.lstat(dir).catch(() => null);
    if (!st?.isDirectory()) return 0;
  }
  let dropped = 0;
  for (const sub of [dir, join(dir, 'partial')]) {
    const st = await fs.lstat(sub).catch(() => null);
    if (!st?.isDirectory()) continue;
    for (const name of await fs.readdir(sub)) {
      if (!name.endsWith('.deb')) continue;
      await fs.unlink(join(sub, name));
      dropped++;
    }
  }
  return dropped;
}
