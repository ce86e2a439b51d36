// A read-only file system held in the extension host's memory, for measuring VS Code's own editors
// on documents that cost nothing to read (the floor beside a Strata figure, test/bench/README.md).
// Nothing is on disk and nothing ever changes, so VS Code has nothing to watch: 1,000 file://
// documents, opened and then deleted on disk, once kept the renderer busy long enough that the next
// test's page gave no answer for 60 s (commit 3f554dc).
import * as vscode from 'vscode';

const encoder = new TextEncoder();

export class MemoryFileSystem implements vscode.FileSystemProvider {
  private readonly files = new Map<string, Uint8Array>();
  private readonly folders = new Set<string>(['/']);
  private readonly made = Date.now();
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  // Never fires: the files are fixed before the provider is registered.
  readonly onDidChangeFile = this.changes.event;

  /** Adds a file (and its parent folders) before the provider is registered. */
  add(path: string, text: string): void {
    this.files.set(path, encoder.encode(text));
    for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1)) this.folders.add(path.slice(0, at));
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const bytes = this.files.get(uri.path);
    if (bytes) return { type: vscode.FileType.File, ctime: this.made, mtime: this.made, size: bytes.byteLength };
    if (this.folders.has(uri.path)) return { type: vscode.FileType.Directory, ctime: this.made, mtime: this.made, size: 0 };
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    const bytes = this.files.get(uri.path);
    if (!bytes) throw vscode.FileSystemError.FileNotFound(uri);
    return bytes;
  }

  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    if (!this.folders.has(uri.path)) throw vscode.FileSystemError.FileNotFound(uri);
    const prefix = uri.path === '/' ? '/' : `${uri.path}/`;
    const entries = new Map<string, vscode.FileType>();
    for (const path of [...this.files.keys(), ...this.folders]) {
      if (!path.startsWith(prefix) || path === uri.path) continue;
      const rest = path.slice(prefix.length);
      if (!rest.includes('/')) entries.set(rest, this.files.has(path) ? vscode.FileType.File : vscode.FileType.Directory);
    }
    return [...entries];
  }

  // Nothing changes, so a watch has nothing to report.
  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  /** Registers it, read-only, under `scheme`; the returned Disposable unregisters it. */
  register(scheme: string): vscode.Disposable {
    const registration = vscode.workspace.registerFileSystemProvider(scheme, this, { isReadonly: true, isCaseSensitive: true });
    return new vscode.Disposable(() => {
      registration.dispose();
      this.changes.dispose();
    });
  }
}
