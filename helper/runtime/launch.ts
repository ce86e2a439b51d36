// Starting a container, as a straight list of named steps. The privileged part (namespaces, mounts,
// pivot_root, capabilities, the pty) is strata-shim's, in helper/runtime/native; this file decides
// what it is asked to do. Order of the shim's steps and why: native/run.c and native/child.c.
import { isAbsolute, relative } from 'node:path';
import { overlayLowerOption, overlayMountData } from '../union';
import { startContext } from './errors';
import { createCgroups, removeCgroups } from './cgroups';
import { cgroupfsMounts } from './cgroup-layout';
import { BOUND_FILES, containerPaths, prepareContainerDirs } from './container-dirs';
import { startShim } from './shim-process';
import { checkLaunchSpec } from './validate';
import type { ContainerProcess, ExecSpec, LaunchSpec } from './types';

/** Paths in the overlay options are relative to the store root when they can be: shorter. */
function fromStore(storeRoot: string, path: string): string {
  const rel = relative(storeRoot, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The options shared by `run` and `exec`: user, cwd, env, terminal, cgroups, command. */
export function processArgs(spec: ExecSpec, cgroups: string[]): string[] {
  const args = ['--cwd', spec.cwd || '/'];
  if (spec.user) args.push('--user', spec.user);
  for (const kv of spec.env) args.push('--env', kv);
  if (spec.tty) {
    args.push('--tty');
    if (spec.size) args.push('--cols', String(spec.size.cols), '--rows', String(spec.size.rows));
  }
  for (const dir of cgroups) args.push('--cgroup', dir);
  if (spec.capabilities !== undefined) args.push('--caps', spec.capabilities.toString(16));
  if (spec.noNewPrivileges === false) args.push('--allow-new-privs');
  for (const u of spec.ulimits ?? []) args.push('--rlimit', `${u.name}=${u.soft}:${u.hard}`);
  return [...args, '--', ...spec.cmd];
}

/** Steps 1-5 of launch: everything but starting the shim. Returns the shim's arguments. */
export async function prepareLaunch(spec: LaunchSpec): Promise<string[]> {
  // 1. check what we were given
  checkLaunchSpec(spec);
  const hostname = spec.hostname || spec.id.slice(0, 12);
  const paths = containerPaths(spec.containerDir);

  // 2. the container's dirs and its init layer (hostname, hosts, resolv.conf written afresh)
  await prepareContainerDirs({ ...spec, hostname });

  // 3. the overlay: short links for the image's layers, init layer on top, in one page
  const image = overlayLowerOption(spec.storeRoot, spec.layerDirs);
  const overlay = {
    lower: [fromStore(image.cwd, paths.init), image.lower].filter(Boolean).join(':'),
    upper: fromStore(image.cwd, paths.upper),
    work: fromStore(image.cwd, paths.work),
  };
  const overlayData = overlayMountData(overlay); // throws LimitExceeded before anything starts

  // 4. cgroups with the limits, joined by the shim before the container runs anything
  const cgroups = await createCgroups(spec.id, { memoryBytes: spec.memoryBytes, pidsLimit: spec.pidsLimit, nanoCpus: spec.nanoCpus, cpuShares: spec.cpuShares });

  // 5. the shim: namespaces, mounts, pivot_root, masks, user, caps, exec
  const args = ['run', '--store-links', image.cwd, '--overlay-data', overlayData];
  args.push('--rootfs', paths.merged, '--hostname', hostname, '--net', spec.network);
  for (const [file, target] of BOUND_FILES) args.push('--bind', `${spec.containerDir}/${file}:${target}`);
  // its own cgroups at /sys/fs/cgroup, in a cgroup namespace (native/rootfs.c)
  for (const fs of cgroupfsMounts()) args.push('--cgroupfs', fs);
  if (spec.init) args.push('--init');
  args.push(...processArgs(spec, cgroups));
  return args;
}

export async function launch(spec: LaunchSpec): Promise<ContainerProcess> {
  const args = await prepareLaunch(spec);
  try {
    // 6. start it; once it has exited its cgroups go (its whole pid namespace is gone by then)
    return await startShim({ args, tty: spec.tty, openStdin: spec.openStdin, afterExit: () => removeCgroups(spec.id) });
  } catch (err) {
    throw startContext(`start container ${spec.id.slice(0, 12)}`, err);
  }
}
