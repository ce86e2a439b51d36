// The container's own directories. The init layer (init/) is the top-most lower layer, between the
// image and the writable upper dir: it holds the mount points the runtime binds over (etc/hostname,
// etc/hosts, etc/resolv.conf) and the dirs it mounts on (proc, sys, dev), so none of them ever
// shows in upper/, the container's diff, even when the image lacks them (Docker's "-init" layer).
import { readFileSync } from 'node:fs';
import { chmod, lstat, lchown, lutimes, mkdir, open, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LaunchSpec } from './types';

export const INIT_DIRS = ['etc', 'proc', 'sys', 'dev'] as const;
export const INIT_FILES = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'] as const;
/** Files in containerDir bound onto the init layer's mount points: [file, container path]. */
export const BOUND_FILES = [
  ['hostname', '/etc/hostname'],
  ['hosts', '/etc/hosts'],
  ['resolv.conf', '/etc/resolv.conf'],
] as const;

export function containerPaths(containerDir: string) {
  return {
    init: join(containerDir, 'init'),
    upper: join(containerDir, 'upper'),
    work: join(containerDir, 'work'),
    merged: join(containerDir, 'merged'),
  };
}

async function touch(path: string): Promise<void> {
  const handle = await open(path, 'a', 0o644);
  await handle.close();
}

/** Docker's: localhost, then --add-host entries ("NAME:IP", checked by validate.ts: no newline
 *  or space can add lines or names of its own), then the container's own name. */
function hostsFile(hostname: string, extraHosts: string[] = []): string {
  const extra = extraHosts.map((h) => {
    const colon = h.indexOf(':');
    return `${h.slice(colon + 1)}\t${h.slice(0, colon)}\n`;
  });
  return `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n${extra.join('')}`;
}

/** With --network host the host's resolvers are reachable, so its resolv.conf is right; with
 *  none there is nothing to reach and the file says so. */
function resolvConf(network: LaunchSpec['network']): string {
  if (network === 'host') {
    try {
      return readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return '';
    }
  }
  return '# network none: no name servers\n';
}

/**
 * Creates (idempotently) init/, upper/ (0755: overlayfs gives the container's / the upper dir's
 * mode), work/ (0700), merged/ (the mount point, visible only inside the container's mount
 * namespace), and writes hostname, hosts and resolv.conf (rewritten at every start, as Docker).
 * `hostname` '' means the container id's first 12 digits (containerDir is containers/<id>).
 * When `layerDirs` is given, the init layer's dirs copy the image's owner, mode and times, so that
 * a copy-up of /etc into upper/ records the image's /etc, not the init layer's.
 */
export async function prepareContainerDirs(
  spec: Pick<LaunchSpec, 'containerDir' | 'hostname' | 'network' | 'extraHosts'> & { layerDirs?: string[] },
): Promise<void> {
  const dir = spec.containerDir;
  const paths = containerPaths(dir);
  const hostname = spec.hostname || basename(dir).slice(0, 12);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mkdir(paths.init, { recursive: true, mode: 0o755 });
  for (const d of INIT_DIRS) await mkdir(join(paths.init, d), { recursive: true, mode: 0o755 });
  for (const f of INIT_FILES) await touch(join(paths.init, f));
  await mkdir(paths.upper, { recursive: true, mode: 0o755 });
  await mkdir(paths.work, { recursive: true, mode: 0o700 });
  await mkdir(paths.merged, { recursive: true, mode: 0o755 });
  await writeFile(join(dir, 'hostname'), `${hostname}\n`, { mode: 0o644 });
  await writeFile(join(dir, 'hosts'), hostsFile(hostname, spec.extraHosts), { mode: 0o644 });
  await writeFile(join(dir, 'resolv.conf'), resolvConf(spec.network), { mode: 0o644 });
  if (spec.layerDirs) await matchImageDirs(paths.init, spec.layerDirs);
}

async function matchImageDirs(initDir: string, layerDirs: string[]): Promise<void> {
  for (const d of INIT_DIRS) {
    for (const layer of [...layerDirs].reverse()) {
      const st = await lstat(join(layer, d)).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) {
        const target = join(initDir, d);
        await lchown(target, st.uid, st.gid);
        await chmod(target, st.mode & 0o7777);
        await lutimes(target, st.atime, st.mtime);
      }
      break; // the top-most layer that has the name decides (a whiteout or a file: keep ours)
    }
  }
}
