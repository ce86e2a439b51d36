// The container runtime: launch, exec, pause (freeze/thaw), cgroups and leftovers.
// The privileged steps are in native/ (strata-shim); see native/shim.h for its protocol.
export type { LaunchSpec, ExecSpec, ContainerProcess, TerminalSize } from './types';
export { DEFAULT_PIDS_LIMIT } from './types';
export { ContainerStartError } from './errors';
export { launch } from './launch';
export { execIn } from './exec';
export { freeze, thaw } from './freezer';
export { removeCgroups } from './cgroups';
export { blockBytes, containerProcesses, containerUsage, networkBytes, type ProcessInfo } from './processes';
export { prepareContainerDirs } from './container-dirs';
export { cleanupContainerMounts } from './mounts';
