// strata.removeImage [image row | name | id] [{force}]: as `strata rmi`. From a row, a keybinding
// (Delete on the selected row) or the palette a dialog confirms; when containers use the image the
// dialog names them (with their state) and removing is forced, as `rmi -f` (the image is untagged
// and kept for them). With an id argument nothing is asked.
import { ErrorCode } from '../../helper/protocol/errors';
import { requestErrorCode } from '../client/errors';
import { statusText } from '../tree/container-node';
import { ImageNode } from '../tree/image-node';
import { confirm, forceOf } from './confirm';
import type { Services } from './services';
import { pickImage } from './targets';
import { CancelledError } from './wrap';

/** The confirmation's words: what goes, and which containers use it (then it is forced). */
export function removeImageQuestion(label: string, users: { name: string; state: string }[]): string {
  if (users.length === 0) return `Remove image ${label}? Its layers go too, unless another image uses them.`;
  const names = users.slice(0, 5).map((u) => `${u.name} (${u.state})`).join(', ') + (users.length > 5 ? `, and ${users.length - 5} more` : '');
  return `Image ${label} is in use by ${users.length} container${users.length === 1 ? '' : 's'}: ${names}.\n\n`
    + 'Remove it anyway? Its name goes; the image itself stays, untagged (<none>), until those containers are removed.';
}

export async function removeImage(s: Services, arg?: unknown, opts?: unknown) {
  const selected = arg === undefined ? s.imagesView.selection.find((n): n is ImageNode => n instanceof ImageNode) : undefined;
  const node = arg instanceof ImageNode ? arg : selected;
  const fromUser = arg === undefined || arg instanceof ImageNode;
  const ref = node ? node.imageId : typeof arg === 'string' && arg ? arg : await pickImage(s, 'Remove which image?');
  if (!ref) throw new CancelledError();
  const label = node ? node.ref : ref;
  const client = await s.helper.client();
  let force = forceOf(opts);
  if (fromUser) {
    const id = (await client.request('image.inspect', { ref })).id;
    const users = (await client.request('containers.list', { all: true })).filter((c) => c.imageId === id).map((c) => ({ name: c.name, state: statusText(c) }));
    await confirm(removeImageQuestion(label, users), users.length ? 'Remove Anyway' : 'Remove');
    if (users.length) force = true;
  }
  try {
    return await client.request('image.remove', { ref, force });
  } catch (err) {
    // In use in another way (several names, an image built on it): the helper says how; ask again.
    if (!fromUser || force || requestErrorCode(err) !== ErrorCode.InUse) throw err;
    await confirm(`${(err as Error).message}\n\nRemove it anyway?`, 'Remove Anyway');
    force = true;
    return client.request('image.remove', { ref, force });
  } finally {
    s.images.refresh();
  }
}
