// strata.openShell [image row | container row | name | {image} | {container}]: a shell in a
// container in the integrated terminal. From an image: a new container, as `strata run -i -t`.
// From a container: attach to it (and start it again if it had stopped), as `strata start -a -i`.
import type { ShellTarget } from '../terminal/container-pty';
import { ContainerNode } from '../tree/container-node';
import { ImageNode } from '../tree/image-node';
import type { Services } from './services';
import { pickShellTarget } from './targets';
import { CancelledError } from './wrap';

export function shellTargetOf(arg: unknown): ShellTarget | undefined {
  if (arg instanceof ImageNode) return { image: arg.ref === arg.summary.repoTags[0] ? arg.ref : arg.imageId };
  if (arg instanceof ContainerNode) return { container: arg.containerId };
  if (typeof arg === 'string' && arg) return { image: arg };
  if (arg && typeof arg === 'object') {
    const o = arg as { image?: unknown; container?: unknown };
    if (typeof o.container === 'string') return { container: o.container };
    if (typeof o.image === 'string') return { image: o.image };
  }
  return undefined;
}

export async function openShell(s: Services, arg?: unknown) {
  const target = shellTargetOf(arg) ?? (await pickShellTarget(s));
  if (!target) throw new CancelledError();
  const opened = await s.shells.open(target);
  s.containers.refresh();
  return { containerId: opened.containerId, terminal: opened.terminal };
}
