// strata.loadImage [file uri | path]: as `strata load -i`: a docker-archive or OCI layout archive
// (what strata save, docker save, podman save and skopeo write; plain, gzip or zstd layers), or an
// OCI layout folder. The extension reads the file (or packs the folder) as the user and streams it
// to the helper (upload.*): the root helper never opens a path a client names.
import { createReadStream } from 'node:fs';
import * as vscode from 'vscode';
import { formatSize, shortId } from '../tree/format';
import type { Services } from './services';
import { CancelledError } from './wrap';

export interface LoadResult { images: { id: string; tags: string[] }[] }

/** Counts what passes, for the progress bar. */
async function* counted(source: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

export async function loadImage(s: Services, fileArg?: unknown): Promise<LoadResult> {
  let uri = fileArg instanceof vscode.Uri ? fileArg : typeof fileArg === 'string' && fileArg ? vscode.Uri.file(fileArg) : undefined;
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Load images from an archive (docker save, podman save, skopeo, strata save) or an OCI layout folder',
      openLabel: 'Load',
      canSelectMany: false,
      canSelectFiles: true,
      canSelectFolders: true,
      filters: { 'Image archives': ['tar', 'gz', 'tgz'], 'All files': ['*'] },
    });
    if (!picked?.length) throw new CancelledError();
    uri = picked[0];
  }
  if (uri.scheme !== 'file') throw new Error(`Strata loads from a local file or folder; ${uri.toString()} is not one`);
  const path = uri.fsPath;
  const name = path.slice(path.lastIndexOf('/') + 1);
  // Loaded when used: the tar reader behind it is not needed at activation.
  const { isLayoutDir, packLayout } = await import('../../helper/cli/oci-dir');
  const folder = await isLayoutDir(path);
  const size = folder ? 0 : (await vscode.workspace.fs.stat(uri)).size;
  const client = await s.helper.client();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Loading ${name}${size ? ` (${formatSize(size)})` : ''}`, cancellable: true },
    async (progress, cancel) => {
      const { token } = await client.request('upload.begin', {});
      // Cancel stops the helper reading; it throws away every layer it had staged.
      const onCancel = cancel.onCancellationRequested(() => void client.request('upload.abort', { token }).catch(() => undefined));
      let sent = 0;
      let shown = 0;
      const onBytes = (n: number) => {
        sent += n;
        if (sent - shown < 1024 * 1024 && sent !== size) return;
        const increment = size ? ((sent - shown) / size) * 100 : undefined;
        shown = sent;
        progress.report({ message: `${formatSize(sent)} read`, ...(increment !== undefined ? { increment } : {}) });
      };
      try {
        const source = folder ? await packLayout(path) : createReadStream(path, { highWaterMark: 1024 * 1024 });
        const loading = client.request('image.load', { token });
        const uploading = client.upload(token, counted(source as AsyncIterable<Uint8Array>, onBytes), { openRawChannel: s.helper.rawChannelOpener() });
        // The load's own error says what was wrong with the archive; the upload's only that it stopped.
        const [loaded, uploaded] = await Promise.allSettled([loading, uploading]);
        if (loaded.status === 'rejected') throw loaded.reason;
        if (uploaded.status === 'rejected') throw uploaded.reason;
        return loaded.value;
      } finally {
        onCancel.dispose();
      }
    },
  );
  const names = result.images.map((i) => i.tags[0] ?? shortId(i.id));
  s.log.info(`loaded ${name}: ${result.images.map((i) => `${i.tags.join(', ') || '(no name)'} ${i.id}`).join('; ')}`);
  void vscode.window.showInformationMessage(`Strata: loaded ${names.join(', ')} from ${name}.`);
  s.images.refresh();
  const first = result.images[0] && (await s.images.findImage(result.images[0].id));
  if (first) await s.imagesView.reveal(first, { select: true, focus: false, expand: false });
  return result;
}
