// strata.importTarball [uri] [name]: a root filesystem tarball (.tar or .tar.gz) becomes a
// one-layer image, as `docker import` makes one. The extension reads the file as the user and
// streams it to the helper (upload.*): the root helper never opens a path a client names.
import { createReadStream } from 'node:fs';
import * as vscode from 'vscode';
import { formatSize, shortId } from '../tree/format';
import type { Services } from './services';
import { ask, validateImageRef } from './targets';
import { CancelledError } from './wrap';

export interface ImportResult {
  id: string;
  layer: string;
  diffId: string;
  name: string;
}

/** "raring64.tar.gz" -> "raring64": a name a user would likely pick. */
export function suggestedName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.(tar(\.gz)?|tgz)$/i, '');
  return base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'imported';
}

function bytesOf(uri: vscode.Uri): AsyncIterable<Uint8Array> {
  if (uri.scheme === 'file') return createReadStream(uri.fsPath, { highWaterMark: 512 * 1024 });
  return (async function* () { yield await vscode.workspace.fs.readFile(uri); })();
}

export async function importTarball(s: Services, uriArg?: unknown, nameArg?: unknown): Promise<ImportResult | undefined> {
  let uri = uriArg instanceof vscode.Uri ? uriArg : typeof uriArg === 'string' && uriArg ? vscode.Uri.file(uriArg) : undefined;
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Import a root filesystem tarball',
      openLabel: 'Import',
      canSelectMany: false,
      filters: { 'Tar archives': ['tar', 'gz', 'tgz'], 'All files': ['*'] },
    });
    if (!picked?.length) throw new CancelledError();
    uri = picked[0];
  }
  const fileName = uri.path.slice(uri.path.lastIndexOf('/') + 1);
  const name = typeof nameArg === 'string' && nameArg
    ? nameArg
    : await ask({ title: `Import ${fileName}`, prompt: 'Name[:tag] of the new image (empty: no name, only its id)', value: suggestedName(fileName), validateInput: validateImageRef });
  const invalid = validateImageRef(name);
  if (invalid) throw new Error(`"${name}" is not a valid image name: ${invalid}`);
  const size = (await vscode.workspace.fs.stat(uri)).size;
  const client = await s.helper.client();

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Importing ${fileName} (${formatSize(size)})`, cancellable: true },
    async (progress, cancel) => {
      const { token } = await client.request('upload.begin', {});
      let reported = 0;
      const sub = client.on('progress', (p) => {
        if (p.token !== token) return;
        const percent = size > 0 && p.done !== undefined ? Math.min(100, (p.done / size) * 100) : reported;
        progress.report({ message: p.message, increment: Math.max(0, percent - reported) });
        reported = Math.max(reported, percent);
      });
      // Cancel stops the helper reading the stream; it then throws away what it had staged.
      const onCancel = cancel.onCancellationRequested(() => void client.request('upload.abort', { token }).catch(() => undefined));
      try {
        const importing = client.request('image.import', { token, name: name || undefined, message: `Imported from ${fileName}` });
        // Raw bytes on a second socket connection when the helper is reached through one.
        const uploading = client.upload(token, bytesOf(uri), { openRawChannel: s.helper.rawChannelOpener() });
        // The import's own error says what was wrong with the tar; the upload's only that it stopped.
        const [imported, uploaded] = await Promise.allSettled([importing, uploading]);
        if (imported.status === 'rejected') throw imported.reason;
        if (uploaded.status === 'rejected') throw uploaded.reason;
        return imported.value;
      } finally {
        sub.dispose();
        onCancel.dispose();
      }
    },
  );
  s.log.info(`imported ${fileName} as ${name || '(no name)'}: image ${result.id}, layer ${result.layer}`);
  void vscode.window.showInformationMessage(`Strata: imported ${fileName} as ${name || shortId(result.id)}: image ${shortId(result.id)}, one layer ${shortId(result.layer)}.`);
  const node = await s.images.findImage(result.id);
  if (node) await s.imagesView.reveal(node, { select: true, focus: false, expand: true });
  return { ...result, name };
}
