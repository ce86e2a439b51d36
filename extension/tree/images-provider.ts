// The Images view: images newest first, their layers, the files each layer changes.
// Rows are kept by id and updated in place, so expansions survive a refresh and a commit can
// reveal the new layer by its node.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import { ImageNode } from './image-node';
import type { LayerNode } from './layer-node';
import type { TreeNode } from './node';

export class ImagesProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, ImageNode>();
  private roots: Promise<ImageNode[]> | undefined;
  /** Errors while listing, for the caller to report (a view cannot show them itself). */
  onError: (err: unknown) => void = () => undefined;

  constructor(private readonly helper: Helper, private readonly changes: ChangesCache) {}

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    return node ? node.children() : this.images();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    return node.resolve ? node.resolve(item).catch(() => item) : item;
  }

  /** The image rows, listed once per refresh. */
  images(): Promise<ImageNode[]> {
    this.roots ??= this.load();
    return this.roots;
  }

  private async load(): Promise<ImageNode[]> {
    const client = await this.helper.clientForView();
    if (!client) {
      void vscode.commands.executeCommand('setContext', 'strata.noImages', true);
      return [];
    }
    try {
      const list = await client.request('images.list', {});
      list.sort((a, b) => b.created.localeCompare(a.created));
      const seen = new Set<string>();
      const rows = list.map((s) => {
        seen.add(s.id);
        const node = this.nodes.get(s.id);
        if (node) {
          node.summary = s;
          return node;
        }
        const fresh = new ImageNode(s, this.helper, this.changes);
        this.nodes.set(s.id, fresh);
        return fresh;
      });
      for (const id of [...this.nodes.keys()]) if (!seen.has(id)) this.nodes.delete(id);
      void vscode.commands.executeCommand('setContext', 'strata.noImages', rows.length === 0);
      return rows;
    } catch (err) {
      this.roots = undefined;
      this.onError(err);
      return [];
    }
  }

  refresh(): void {
    this.roots = undefined;
    this.emitter.fire(undefined);
  }

  /** The image row, after a fresh listing (for reveal after import or commit). */
  async findImage(imageId: string): Promise<ImageNode | undefined> {
    this.refresh();
    return (await this.images()).find((n) => n.imageId === imageId);
  }

  async findLayer(imageId: string, layerId: string): Promise<LayerNode | undefined> {
    return (await this.findImage(imageId))?.findLayer(layerId);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
