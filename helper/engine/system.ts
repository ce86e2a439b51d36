// What the helper says about itself and its store: which store, which helper (pid, protocol, build),
// and where the store's bytes are (engine/disk-usage.ts).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { BUILD_ID, PROTOCOL_VERSION } from '../protocol/methods';
import type { SystemInfo } from '../protocol/types';
import { cgroupLayout } from '../runtime/cgroup-layout';
import type { EngineContext } from './context';
import { diskUsage } from './disk-usage';
import type { MethodTable } from './method-table';

/** The Strata release its CLI reports as Docker's ServerVersion (package.json's version). */
export const STRATA_VERSION = '0.1.0';

function operatingSystem(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function systemInfo(ctx: EngineContext): SystemInfo {
  const containers = ctx.store.containers.list();
  const running = containers.filter((c) => c.status === 'running');
  const paused = running.filter((c) => c.paused).length;
  return {
    Containers: containers.length, ContainersRunning: running.length - paused, ContainersPaused: paused, ContainersStopped: containers.length - running.length,
    Images: ctx.store.images.ids().length,
    Driver: 'overlay', DockerRootDir: ctx.store.paths.root,
    KernelVersion: os.release(), OperatingSystem: operatingSystem(), OSType: 'linux', Architecture: os.machine(),
    NCPU: os.cpus().length, MemTotal: os.totalmem(), Name: os.hostname(), ServerVersion: STRATA_VERSION,
    CgroupDriver: 'cgroupfs', CgroupVersion: String(cgroupLayout().version),
    // Docker's words for what every container gets (Strata: no_new_privs by default, Docker: not)
    SecurityOptions: ['name=seccomp,profile=builtin', 'name=no-new-privileges', 'name=cgroupns'],
    Strata: { HelperPid: process.pid, Protocol: PROTOCOL_VERSION, ...(BUILD_ID ? { Build: BUILD_ID } : {}) },
  };
}

export const systemMethods = {
  'store.info': { lock: 'none', run: (ctx) => ({ root: ctx.store.paths.root, helperPid: process.pid, version: PROTOCOL_VERSION, build: BUILD_ID }) },
  'system.df': { lock: 'none', run: (ctx) => diskUsage(ctx) },
  'system.info': { lock: 'none', run: (ctx) => systemInfo(ctx) },
} satisfies MethodTable<'store.info' | 'system.df' | 'system.info'>;
