// strata.commitContainer [container row | id] [name[:tag]] [message]: the container's changes
// become a new layer on top of its image's, and a new image, as `docker commit` does. Then the
// Images view shows the new image with its new layer selected and open: only the difference.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { ask, containerArg, pickContainer, validateImageRef } from './targets';
import { CancelledError } from './wrap';

export interface CommitResult {
  id: string;
  layer: string;
  diffId: string;
  ref: string | undefined;
}

export async function commitContainer(s: Services, target?: unknown, refArg?: unknown, messageArg?: unknown): Promise<CommitResult> {
  const id = containerArg(target) ?? (await pickContainer(s, 'Commit which container?'));
  if (!id) throw new CancelledError();
  const client = await s.helper.client();
  const detail = await client.request('container.inspect', { id });
  const short = shortId(detail.id);
  const interactive = refArg === undefined;
  const ref = typeof refArg === 'string'
    ? refArg
    : await ask({ title: `Commit container ${short} (1/2)`, prompt: 'Name[:tag] of the new image (empty: no name, only its id)', value: `${detail.image.split(':')[0]}-${short.slice(0, 6)}`, validateInput: validateImageRef });
  const invalid = validateImageRef(ref);
  if (invalid) throw new Error(`"${ref}" is not a valid image name: ${invalid}`);
  const message = typeof messageArg === 'string'
    ? messageArg
    : interactive ? await ask({ title: `Commit container ${short} (2/2)`, prompt: 'Commit message: what changed, and why', placeHolder: 'e.g. installed git' }) : '';

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Committing container ${short}${ref ? ` as ${ref}` : ''}` },
    async (progress) => {
      // The helper reports its steps (freezing, copying, hashing, saving) under this token.
      const progressToken = randomBytes(16).toString('hex');
      const sub = client.on('progress', (p) => { if (p.token === progressToken) progress.report({ message: p.message }); });
      try {
        return await client.request('container.commit', { id: detail.id, ref: ref || undefined, message: message || undefined, progressToken });
      } finally {
        sub.dispose();
      }
    },
  );
  s.log.info(`committed container ${detail.id} as ${ref || '(no name)'}: image ${result.id}, new layer ${result.layer}`);
  void vscode.window.showInformationMessage(`Strata: committed ${short} as ${ref || shortId(result.id)}: new layer ${shortId(result.layer)} holds only what changed.`);
  const layer = await s.images.findLayer(result.id, result.layer);
  if (layer) await s.imagesView.reveal(layer, { select: true, focus: true, expand: true });
  return { ...result, ref: ref || undefined };
}
