// A read-only file system over strata-layer:, strata-container: and strata-image: URIs (a path in a
// version, diff/uris.ts), so that the diff editor shows a layer's files as it shows any file: syntax
// colours, find, copy path. Bytes come from the helper (file.read); the extension never reads the
// store itself. A version where the file does not exist (the left of an added file, the right of a
// deleted one) reads as an empty file, so every change opens as a two-sided diff.
import * as vscode from 'vscode';
import type { FileContent } from '../../helper/protocol';
import type { Helper } from '../client/helper';
import type { ChangesCache } from './changes';
import { FileCache, type CachedFile } from './file-cache';
import { CONTAINER_SCHEME, parseUri } from './uris';

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
  /** Batched reads, kept per version (diff/file-cache.ts). */
  readonly files: FileCache;
  private readonly sub: vscode.Disposable;

  constructor(helper: Helper, changes: ChangesCache) {
    this.files = new FileCache(helper);
    // A container's files changed under an open diff: drop their bytes and tell the editor.
    this.sub = changes.onDidChangeContainer((e) => {
      this.files.forget({ container: e.id });
      this.emitter.fire(e.uris.map((uri) => ({ type: vscode.FileChangeType.Changed, uri })));
    });
  }

  private read(uri: vscode.Uri): CachedFile {
    const parsed = parseUri(uri);
    if (!parsed) throw vscode.FileSystemError.FileNotFound(uri);
    return this.files.get(parsed.version, parsed.path);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { at, content } = this.read(uri);
    const f = await content;
    // A container's file reads as new each time its bytes are asked again (a layer's never change),
    // so that an open editor takes bytes that changed without changing size.
    const mtime = uri.scheme === CONTAINER_SCHEME ? at : 0;
    return { type: vscode.FileType.File, ctime: 0, mtime, size: contentBytes(f).byteLength, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return contentBytes(await this.read(uri).content);
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
