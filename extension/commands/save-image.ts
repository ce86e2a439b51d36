// strata.saveImage [image row | name | id] [file uri | path] [format] [{compress}]: as `strata save`.
// The helper (root) never writes at a path a client names: it streams the archive into a download,
// read raw on a second connection to its socket, and the extension writes the file as the user,
// through a temporary name beside it, renamed into place only once the download is whole.
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import * as vscode from 'vscode';
import { ImageNode } from '../tree/image-node';
import { formatSize } from '../tree/format';
import type { Services } from './services';
import { pickImage } from './targets';
import { CancelledError } from './wrap';

export type SaveFormat = 'docker' | 'oci';

export interface SaveResult { file: string; size: number; format: SaveFormat; compress: boolean }

const FORMATS: (vscode.QuickPickItem & { format: SaveFormat; compress: boolean })[] = [
  { label: 'Docker archive', description: 'docker save\'s layout: docker load and podman load read it', format: 'docker', compress: false },
  { label: 'Docker archive, gzip\'d layers', description: 'smaller; docker load and podman load read it', format: 'docker', compress: true },
  { label: 'OCI image layout archive', description: 'skopeo, podman, containerd (ctr import) read it', format: 'oci', compress: false },
  { label: 'OCI image layout archive, gzip\'d layers', description: 'application/vnd.oci.image.layer.v1.tar+gzip', format: 'oci', compress: true },
];

function uriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return vscode.Uri.file(arg);
  return undefined;
}

export async function saveImage(s: Services, imageArg?: unknown, fileArg?: unknown, formatArg?: unknown, opts?: unknown): Promise<SaveResult> {
  const ref = imageArg instanceof ImageNode ? imageArg.ref : typeof imageArg === 'string' && imageArg ? imageArg : await pickImage(s, 'Save which image?');
  if (!ref) throw new CancelledError();
  let format: SaveFormat;
  let compress = typeof opts === 'object' && opts !== null && (opts as { compress?: unknown }).compress === true;
  if (formatArg === 'docker' || formatArg === 'oci') {
    format = formatArg;
  } else {
    const picked = await vscode.window.showQuickPick(FORMATS, { title: `Save ${ref}`, placeHolder: 'Which archive format?' });
    if (!picked) throw new CancelledError();
    ({ format, compress } = picked);
  }
  let uri = uriOf(fileArg);
  if (!uri) {
    const base = ref.replace(/[/:@]+/g, '-');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.env.HOME ?? '/');
    uri = await vscode.window.showSaveDialog({
      title: `Save ${ref} as ${format === 'oci' ? 'an OCI image layout archive' : 'a Docker archive'}`,
      saveLabel: 'Save',
      defaultUri: vscode.Uri.joinPath(folder, `${base}${format === 'oci' ? '.oci' : ''}.tar`),
      filters: { 'Tar archives': ['tar'], 'All files': ['*'] },
    });
    if (!uri) throw new CancelledError();
  }
  if (uri.scheme !== 'file') throw new Error(`Strata saves to a local file; ${uri.toString()} is not one`);
  const file = uri.fsPath;
  const client = await s.helper.client();
  const opener = s.helper.rawChannelOpener(); // known once connected
  if (!opener) {
    throw new Error('saving needs a raw connection to the helper\'s socket, which this way of reaching it (sudo or pkexec relay) has not: set strata.helper.launch to "socket" (or run VS Code as root), or use `strata save -o FILE` in a terminal');
  }
  const size = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Saving ${ref} to ${basename(file)}`, cancellable: true },
    async (progress, cancel) => {
      const { token } = await client.request('download.begin', {});
      const temp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.part`);
      const sink = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
      await new Promise<void>((resolve, reject) => {
        sink.once('open', () => resolve());
        sink.once('error', (err) => reject(new Error(`cannot write ${file}: ${err.message}`)));
      });
      // What has arrived, every MiB or so: the archive's size is known only at its end.
      let written = 0;
      let shown = 0;
      const counting = new Transform({
        transform(chunk: Buffer, _enc, done) {
          written += chunk.length;
          if (written - shown >= 1024 * 1024) {
            shown = written;
            progress.report({ message: `${formatSize(written)} written` });
          }
          done(null, chunk);
        },
      });
      counting.pipe(sink);
      // Cancel: the helper stops making the archive and cuts the download; the partial file goes.
      const onCancel = cancel.onCancellationRequested(() => void client.request('download.abort', { token }).catch(() => undefined));
      try {
        const r = await client.download(token, client.request('image.save', { token, refs: [ref], format, ...(compress ? { compress } : {}) }), counting, opener);
        await new Promise<void>((resolve, reject) => { sink.once('error', reject); sink.once('finish', () => resolve()); counting.end(); });
        await fs.rename(temp, file);
        return r.size;
      } catch (err) {
        counting.destroy();
        sink.destroy();
        await fs.rm(temp, { force: true });
        throw err;
      } finally {
        onCancel.dispose();
      }
    },
  );
  s.log.info(`saved ${ref} to ${file} (${format}${compress ? ', gzip\'d layers' : ''}, ${size} bytes)`);
  void vscode.window.showInformationMessage(`Strata: saved ${ref} to ${basename(file)} (${formatSize(size)}).`);
  return { file, size, format, compress };
}
