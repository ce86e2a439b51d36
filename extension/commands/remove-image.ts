// strata.removeImage [image row | name | id] [{force}]: as `strata rmi`. From a row or the palette
// a dialog confirms, and offers to force when the image is in use; with an id argument nothing is asked.
import { ErrorCode } from '../../helper/protocol/errors';
import { requestErrorCode } from '../client/errors';
import { ImageNode } from '../tree/image-node';
import { confirm, forceOf } from './confirm';
import type { Services } from './services';
import { pickImage } from './targets';
import { CancelledError } from './wrap';

export async function removeImage(s: Services, arg?: unknown, opts?: unknown) {
  const fromUser = arg === undefined || arg instanceof ImageNode;
  const ref = arg instanceof ImageNode ? arg.imageId : typeof arg === 'string' && arg ? arg : await pickImage(s, 'Remove which image?');
  if (!ref) throw new CancelledError();
  const label = arg instanceof ImageNode ? arg.ref : ref;
  if (fromUser) await confirm(`Remove image ${label}? Its layers go too, unless another image uses them.`, 'Remove');
  const client = await s.helper.client();
  let force = forceOf(opts);
  try {
    return await client.request('image.remove', { ref, force });
  } catch (err) {
    if (!fromUser || force || requestErrorCode(err) !== ErrorCode.InUse) throw err;
    await confirm(`${(err as Error).message}\n\nRemove it anyway?`, 'Remove Anyway');
    force = true;
    return client.request('image.remove', { ref, force });
  } finally {
    s.images.refresh();
  }
}
