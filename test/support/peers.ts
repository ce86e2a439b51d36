// The peers the bench and npm run test:interop measure Strata against: Docker 20.10 and Podman 4.3 from Debian, each
// started in a folder of the bench's own without touching the host's network (the flags in
// shared/notes/peers.md), and stopped and removed afterwards, also when the bench is interrupted.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineApi } from './docker-api';

export type PeerName = 'docker' | 'podman';

export interface Peer {
  name: PeerName;
  /** The peer's Docker-compatible Engine API on its unix socket. */
  api: EngineApi;
  /** argv for the peer's CLI against this instance: [command, ...args]. */
  cli(...args: string[]): [string, string[], NodeJS.ProcessEnv];
  stop(): void;
}

const PACKAGES: Record<PeerName, { binary: string; pkg: string }> = {
  docker: { binary: '/usr/sbin/dockerd', pkg: 'docker.io' },
  podman: { binary: '/usr/bin/podman', pkg: 'podman' },
};

export function installed(name: PeerName): boolean {
  return existsSync(PACKAGES[name].binary);
}

/** apt-get install of a missing peer (as root); false when it could not be had. */
export function install(name: PeerName): boolean {
  if (installed(name)) return true;
  console.log(`installing Debian's ${PACKAGES[name].pkg} to measure against it`);
  spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', PACKAGES[name].pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return installed(name);
}

/** Whether a command exits 0 (its output ignored). */
function succeeds([cmd, args, env]: [string, string[], NodeJS.ProcessEnv]): boolean {
  return spawnSync(cmd, args, { env, stdio: 'ignore' }).status === 0;
}

function waitFor(what: string, ok: () => boolean, proc: ChildProcess, seconds = 30): void {
  for (let i = 0; i < seconds * 10; i++) {
    if (ok()) return;
    if (proc.exitCode !== null) throw new Error(`${what} exited ${proc.exitCode} before it was ready`);
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`${what} was not ready within ${seconds} s`);
}

function stopper(proc: ChildProcess, also: () => void = () => undefined): () => void {
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    proc.kill('SIGTERM');
    for (let i = 0; i < 100 && proc.exitCode === null && spawnSync('kill', ['-0', String(proc.pid)]).status === 0; i++) spawnSync('sleep', ['0.1']);
    if (proc.exitCode === null) proc.kill('SIGKILL');
    also();
  };
}

/** dockerd with its data, exec root and socket in `dir`: no bridge, no iptables, no forwarding. */
export function startDocker(dir: string): Peer {
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const keyExisted = existsSync('/etc/docker/key.json');
  const proc = spawn('dockerd', ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${sock}`, '--storage-driver', 'overlay2', '--iptables=false', '--ip-forward=false', '--bridge=none'], { stdio: 'ignore' });
  // Debian's client (20.10, as the daemon: its BuildKit is built in; a newer client wants buildx).
  const client = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
  const cli = (...args: string[]): [string, string[], NodeJS.ProcessEnv] => [client, ['-H', `unix://${sock}`, ...args], process.env];
  waitFor('dockerd', () => existsSync(sock) && succeeds(cli('version')), proc);
  const api = new EngineApi('Docker', sock);
  const stop = stopper(proc, () => {
    api.close();
    // dockerd writes its key where it likes; take back what this run made.
    if (!keyExisted) spawnSync('rm', ['-f', '/etc/docker/key.json']);
  });
  return { name: 'docker', api, cli, stop };
}

/** Podman with its storage in `dir`, runc (crun 1.8 refuses hybrid cgroups), no network, and its
 *  Docker-compatible API served on a socket in `dir` (`podman system service`). */
export function startPodman(dir: string): Peer {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, [
    '[containers]', 'netns = "none"', 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]',
    '[engine]', 'runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', '',
  ].join('\n'));
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'overlay'];
  const sock = join(dir, 'podman.sock');
  const proc = spawn('podman', [...base, 'system', 'service', '--time', '0', `unix://${sock}`], { stdio: 'ignore', env });
  const cli = (...args: string[]): [string, string[], NodeJS.ProcessEnv] => ['podman', [...base, ...args], env];
  waitFor('podman system service', () => existsSync(sock), proc);
  const api = new EngineApi('Podman', sock);
  const stop = stopper(proc, () => {
    api.close();
    succeeds(cli('rm', '-a', '-f'));
  });
  return { name: 'podman', api, cli, stop };
}

/** Runs a peer's CLI (or any command) to completion; throws with its stderr when it fails. */
export function runCli([cmd, args, env]: [string, string[], NodeJS.ProcessEnv], input?: Buffer): string {
  return execFileSync(cmd, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}
