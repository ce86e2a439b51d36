// Where the cgroup hierarchies are. cgroup v2 alone ("unified") when /sys/fs/cgroup has
// cgroup.controllers; otherwise the v1 hierarchies found in /proc/self/mountinfo (a v2 mount at
// /sys/fs/cgroup/unified beside them, as on hybrid systems, holds no controllers and is ignored).
// Each container gets strata/<id> under every hierarchy it uses.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const CGROUP_PARENT = 'strata';
/** v1 controllers a container joins: limits (pids, memory, cpu), pause (freezer), counts (cpuacct,
 *  blkio: stats), and cpuset because a task must be in some cpuset and we want it in ours, not
 *  whatever the helper had. Each is also mounted inside the container (its cgroup namespace). */
export const V1_CONTROLLERS = ['pids', 'memory', 'freezer', 'cpuset', 'cpu', 'cpuacct', 'blkio'] as const;
/** Every v1 controller name the kernel knows: a hierarchy is mounted again (in the container) with
 *  exactly the set it has, or the mount fails. */
const KNOWN_V1 = new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc']);
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupLayout =
  | { version: 2; root: string }
  | { version: 1; mounts: Map<V1Controller, string>; controllersOf?: Map<string, string> };

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): { root: string; mountPoint: string; fsType: string; superOptions: string[] }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const before = line.slice(0, dash).split(' ');
    const after = line.slice(dash + 3).split(' ');
    if (before.length < 5 || after.length < 3) continue;
    out.push({
      root: unescapeMountPath(before[3]),
      mountPoint: unescapeMountPath(before[4]),
      fsType: after[0],
      superOptions: after[2].split(','),
    });
  }
  return out;
}

let cached: CgroupLayout | undefined;

export function cgroupLayout(): CgroupLayout {
  if (cached) return cached;
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) {
    cached = { version: 2, root: CGROUP_ROOT };
    return cached;
  }
  const mounts = new Map<V1Controller, string>();
  const controllersOf = new Map<string, string>();
  for (const m of parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))) {
    if (m.fsType !== 'cgroup' || m.root !== '/') continue;
    for (const c of V1_CONTROLLERS) {
      if (!m.superOptions.includes(c) || mounts.has(c)) continue;
      mounts.set(c, m.mountPoint);
      controllersOf.set(m.mountPoint, m.superOptions.filter((o) => KNOWN_V1.has(o)).join(','));
    }
  }
  for (const needed of ['pids', 'memory', 'freezer'] as const) {
    if (!mounts.has(needed)) {
      throw new StrataError(ErrorCode.RuntimeFailed, `cgroup v1 controller "${needed}" is not mounted (looked in /proc/self/mountinfo)`);
    }
  }
  cached = { version: 1, mounts, controllersOf };
  return cached;
}

/** The shim's --cgroupfs values: what to mount at /sys/fs/cgroup inside the container (native/rootfs.c). */
export function cgroupfsMounts(layout: CgroupLayout = cgroupLayout()): string[] {
  if (layout.version === 2) return ['cgroup2'];
  const out = new Set<string>();
  for (const mount of layout.mounts.values()) {
    const controllers = layout.controllersOf?.get(mount);
    if (controllers) out.add(`${basename(mount)}=${controllers}`);
  }
  return [...out];
}

/** The container's cgroup directory in each hierarchy, whether or not it exists. */
export function containerCgroupDirs(id: string, layout: CgroupLayout = cgroupLayout()): { controller: V1Controller | 'unified'; dir: string }[] {
  if (layout.version === 2) return [{ controller: 'unified', dir: join(layout.root, CGROUP_PARENT, id) }];
  const seen = new Set<string>();
  const dirs: { controller: V1Controller; dir: string }[] = [];
  for (const [controller, mount] of layout.mounts) {
    if (seen.has(mount)) continue; // co-mounted controllers share one directory
    seen.add(mount);
    dirs.push({ controller, dir: join(mount, CGROUP_PARENT, id) });
  }
  return dirs;
}
