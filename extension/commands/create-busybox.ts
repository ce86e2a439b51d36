// strata.createBusyboxImage [name]: the built-in image (Debian's busybox-static as a tiny root
// filesystem), made by the helper, so that everything can be tried without a tarball or network.
import * as vscode from 'vscode';
import { shortId } from '../tree/format';
import type { Services } from './services';

export async function createBusyboxImage(s: Services, nameArg?: unknown): Promise<{ id: string; created: boolean } | undefined> {
  const name = typeof nameArg === 'string' && nameArg ? nameArg : undefined;
  const client = await s.helper.client();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Creating the built-in busybox image' },
    () => client.request('image.busybox', { name }),
  );
  void vscode.window.showInformationMessage(result.created
    ? `Strata: created ${name ?? 'busybox:latest'} (image ${shortId(result.id)}). Open it to see its layer.`
    : `Strata: ${name ?? 'busybox:latest'} already exists (image ${shortId(result.id)}).`);
  const node = await s.images.findImage(result.id);
  if (node) await s.imagesView.reveal(node, { select: true, focus: false, expand: true });
  return result;
}
