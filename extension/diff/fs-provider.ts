// A read-only file system over strata-layer:, strata-container: and strata-image: URIs (a path in a
// version, diff/uris.ts), so that the diff editor shows a layer's files as it shows any file: syntax
// colours, find, copy path. Bytes come from the helper (file.read); the extension never reads the
// store itself. A version where the file does not exist (the left of an added file, the right of a
// deleted one) reads as an empty file, so every change opens as a two-sided diff.
import * as vscode from 'vscode';
import type { FileContent } from '../../helper/protocol';
import type { Helper } from '../client/helper';
import type { ChangesCache } from './changes';
import { parseUri, type Version } from './uris';

/** How long a container file's bytes are reused: stat and readFile come in pairs. */
const CONTAINER_FRESH_MS = 1000;

/** What a non-regular file reads as: a line saying what it is, as `ls -l` would hint. */
export function contentBytes(f: FileContent): Uint8Array {
  switch (f.kind) {
    case 'file': return f.data ? Buffer.from(f.data, 'base64') : new Uint8Array();
    case 'symlink': return Buffer.from(`symbolic link to ${f.linkTarget ?? '?'}\n`);
    case 'missing':
    case 'whiteout':
    case 'dir': return new Uint8Array();
    default: return Buffer.from(`(${f.kind})\n`);
  }
}

export class StrataFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private readonly cache = new Map<string, { at: number; content: Promise<FileContent> }>();
  private readonly sub: vscode.Disposable;

  constructor(private readonly helper: Helper, changes: ChangesCache) {
    // A container's file changed under an open diff: drop the cached bytes and tell the editor.
    this.sub = changes.onDidChangeContainer((e) => {
      for (const uri of e.uris) this.cache.delete(uri.toString());
      this.emitter.fire(e.uris.map((uri) => ({ type: vscode.FileChangeType.Changed, uri })));
    });
  }

  private read(uri: vscode.Uri): Promise<FileContent> {
    const parsed = parseUri(uri);
    if (!parsed) throw vscode.FileSystemError.FileNotFound(uri);
    const key = uri.toString();
    const hit = this.cache.get(key);
    // Layers and images never change; a container's files do.
    const fresh = hit && (!('container' in parsed.version) || Date.now() - hit.at < CONTAINER_FRESH_MS);
    if (hit && fresh) return hit.content;
    const content = this.fetch(parsed.version, parsed.path);
    content.catch(() => this.cache.delete(key));
    this.cache.set(key, { at: Date.now(), content });
    // Layers never change; keep a bounded number of their files.
    if (this.cache.size > 500) this.cache.delete(this.cache.keys().next().value as string);
    return content;
  }

  // XXX(issue 10, item 4): one file.read per side of each file, so Open Changes on a layer of ~300
  // files waits ~13 s for ~600 requests; batch them (one request per layer) and keep them per layer.
  private async fetch(version: Version, path: string): Promise<FileContent> {
    if ('scratch' in version) return { kind: 'missing', size: 0, mode: 0, truncated: false };
    return (await this.helper.client()).request('file.read', { version, path });
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const f = await this.read(uri);
    return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: contentBytes(f).byteLength, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return contentBytes(await this.read(uri));
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
