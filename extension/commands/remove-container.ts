// strata.removeContainer [container row | id] [{force}]: as `strata rm`. From a row or the palette a
// dialog confirms (and stops a running container first); with an id argument nothing is asked.
import { ContainerNode } from '../tree/container-node';
import { shortId } from '../tree/format';
import { confirm, forceOf } from './confirm';
import type { Services } from './services';
import { targetContainer } from './container-actions';

export async function removeContainer(s: Services, arg?: unknown, opts?: unknown) {
  const fromUser = arg === undefined || arg instanceof ContainerNode;
  // No argument (the palette, or Delete on the Containers view): the selected row, else a pick.
  const id = await targetContainer(s, arg, 'Remove which container?');
  const client = await s.helper.client();
  let force = forceOf(opts);
  if (fromUser) {
    const running = (await client.request('container.inspect', { id })).status === 'running';
    await confirm(running
      ? `Container ${shortId(id)} is running. Stop it and remove it, with its changes? (Commit first to keep them.)`
      : `Remove container ${shortId(id)} and its changes? (Commit first to keep them.)`, 'Remove');
    force ||= running;
  }
  try {
    return await client.request('container.remove', { id, force });
  } finally {
    s.changes.forgetContainer(id);
    s.containers.refresh();
  }
}
