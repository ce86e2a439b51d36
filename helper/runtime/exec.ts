// Running one more process in a running container (`docker exec`): the shim joins the
// container's namespaces and cgroups and applies the same user, capability, no_new_privs, fd and
// terminal rules as for the container's init.
import { StrataError } from '../errors';
import { startContext } from './errors';
import { ErrorCode } from '../protocol/errors';
import { existingCgroupDirs, pidInContainer } from './cgroups';
import { processArgs } from './launch';
import { startShim } from './shim-process';
import { checkContainerId, checkProcessSpec } from './validate';
import type { ContainerProcess, ExecSpec } from './types';

export async function execIn(target: { pid: number; id: string }, spec: ExecSpec): Promise<ContainerProcess> {
  checkContainerId(target.id);
  checkProcessSpec(spec);
  if (!Number.isInteger(target.pid) || target.pid < 2) {
    throw new StrataError(ErrorCode.InvalidParams, `bad container pid ${target.pid}`);
  }
  // The pid must still be this container's: a recycled pid would be some other process. This gives
  // the clear early answer; what holds is the shim's own check, made on a pidfd (native/exec.c),
  // since the number could change hands between here and the shim's setns.
  if (!(await pidInContainer(target.pid, target.id))) {
    throw new StrataError(ErrorCode.NotRunning, `container ${target.id.slice(0, 12)} is not running`);
  }
  const args = ['exec', '--pid', String(target.pid), ...processArgs(spec, existingCgroupDirs(target.id))];
  try {
    return await startShim({ args, tty: spec.tty, openStdin: spec.openStdin });
  } catch (err) {
    throw startContext(`exec in container ${target.id.slice(0, 12)}`, err);
  }
}
