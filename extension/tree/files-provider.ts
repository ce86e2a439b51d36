// The Container Files view (Browse Files): a container's whole file system as its processes see it
// (its image's layers with its own changes over them), read-only, folder by folder. Each folder is
// one file.list request to the helper, made when it is opened: the tree never reads the disk (the
// helper reads the layers beneath their roots, helper/archive/list-dir.ts). A file opens in the
// editor (strata-container:, read-only); a file the container changed opens as its diff against
// the image, and carries its A/M letter (its resourceUri is the change list's row URI).
import * as vscode from 'vscode';
import type { DirEntry } from '../../helper/protocol';
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import { changeRowUri, type ChangeSource } from '../diff/uris';
import { MessageNode } from './change-nodes';
import { formatSize, shortId } from './format';
import type { TreeNode } from './node';

export interface BrowsedContainer {
  id: string;
  name: string;
  imageId: string;
}

const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

export class FileEntryNode implements TreeNode {
  readonly id: string;
  readonly path: string;

  constructor(readonly parent: FileEntryNode | undefined, private readonly provider: FilesProvider, readonly container: BrowsedContainer, dir: string, readonly entry: DirEntry) {
    this.path = joinPath(dir, entry.name);
    this.id = `file:${container.id}:${this.path}`;
  }

  get isDir(): boolean {
    return this.entry.kind === 'dir';
  }

  treeItem(): vscode.TreeItem {
    const e = this.entry;
    const item = new vscode.TreeItem(e.name, this.isDir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.resourceUri = changeRowUri(this.provider.source!, this.path);
    item.iconPath = this.isDir ? vscode.ThemeIcon.Folder : e.kind === 'symlink' ? new vscode.ThemeIcon('file-symlink-file') : vscode.ThemeIcon.File;
    item.description = e.kind === 'symlink' ? `→ ${e.linkTarget ?? '?'}` : e.kind === 'file' ? formatSize(e.size) : e.kind === 'dir' ? undefined : e.kind;
    item.tooltip = `${this.path} (${e.kind}, mode ${(e.mode & 0o7777).toString(8).padStart(4, '0')}${e.kind === 'file' ? `, ${e.size} bytes` : ''})`;
    item.contextValue = this.isDir ? 'containerFile.dir' : 'containerFile.file';
    if (e.kind === 'file' || e.kind === 'symlink') {
      item.command = { command: 'strata.openContainerFile', title: 'Open', arguments: [this.container.id, this.path] };
    }
    return item;
  }

  children(): Promise<TreeNode[]> {
    return this.isDir ? this.provider.list(this, this.path) : Promise.resolve([]);
  }
}

export class FilesProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;
  browsed: BrowsedContainer | undefined;
  /** Folders listed since the last refresh, how many entries each (for tests and the bench). */
  requests = 0;

  constructor(private readonly helper: Helper, private readonly changes: ChangesCache) {
    // The container wrote: the open folders are listed again (the helper pushes container.changed).
    this.sub = changes.onDidChangeContainer((e) => {
      if (e.id === this.browsed?.id && e.listChanged) this.emitter.fire(undefined);
    });
  }

  get source(): (ChangeSource & { kind: 'container' }) | undefined {
    const b = this.browsed;
    return b && { kind: 'container', id: b.id, base: { image: b.imageId } };
  }

  /** Shows `container`'s file system; its change list is loaded too, for the rows' letters. */
  async browse(container: BrowsedContainer): Promise<void> {
    this.browsed = container;
    await this.changes.container(this.source!).catch(() => undefined);
    this.emitter.fire(undefined);
  }

  close(): void {
    this.browsed = undefined;
    this.emitter.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    if (node) return node.children();
    return this.browsed ? this.list(undefined, '/') : [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  /** One folder from the helper: folders first, then the rest, each by name. */
  async list(parent: FileEntryNode | undefined, path: string): Promise<TreeNode[]> {
    const c = this.browsed;
    if (!c) return [];
    try {
      const client = await this.helper.client();
      this.requests++;
      const { entries, truncated } = await client.request('file.list', { version: { container: c.id }, path });
      const dirsFirst = [...entries].sort((a, b) => (a.kind === 'dir') === (b.kind === 'dir') ? 0 : a.kind === 'dir' ? -1 : 1);
      const nodes: TreeNode[] = dirsFirst.map((e) => new FileEntryNode(parent, this, c, path, e));
      if (nodes.length === 0) nodes.push(new MessageNode(parent, `file:${c.id}:${path}#empty`, '(empty)', 'blank'));
      if (truncated) nodes.push(new MessageNode(parent, `file:${c.id}:${path}#more`, `only the first ${entries.length} entries are shown`, 'warning'));
      return nodes;
    } catch (err) {
      return [new MessageNode(parent, `file:${c.id}:${path}#error`, `Cannot list ${path}: ${(err as Error).message}`, 'warning')];
    }
  }

  /** What the view's description says: which container. */
  describe(): string | undefined {
    const c = this.browsed;
    return c ? `${c.name} (${shortId(c.id)})` : undefined;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
