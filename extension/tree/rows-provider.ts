// What the Images and Containers views share: a tree of TreeNodes whose top rows come from one
// helper listing, kept by id and updated in place (so expansions survive a refresh), reloaded
// on refresh(), with listing errors handed to the caller (a view cannot show them itself).
import * as vscode from 'vscode';
import type { TreeNode } from './node';

export abstract class RowsProvider<Row extends TreeNode & { summary: S }, S extends { id: string; created: string }>
  implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  protected readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  protected readonly nodes = new Map<string, Row>();
  private roots: Promise<Row[]> | undefined;
  onError: (err: unknown) => void = () => undefined;

  /** The listing from the helper; undefined when no helper can be reached. */
  protected abstract list(): Promise<S[] | undefined>;
  protected abstract makeRow(summary: S): Row;
  /** After a listing: the rows shown, and the ids that are gone. */
  protected loaded(_rows: Row[], _gone: string[]): void {}

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    return node ? node.children() : this.rows();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    return node.resolve ? node.resolve(item).catch(() => item) : item;
  }

  /** The top rows, listed once per refresh, newest first. */
  rows(): Promise<Row[]> {
    this.roots ??= this.load();
    return this.roots;
  }

  refresh(): void {
    this.roots = undefined;
    this.emitter.fire(undefined);
  }

  private async load(): Promise<Row[]> {
    try {
      const list = await this.list();
      if (!list) {
        this.loaded([], []);
        return [];
      }
      list.sort((a, b) => b.created.localeCompare(a.created));
      const rows = list.map((s) => {
        const node = this.nodes.get(s.id);
        if (node) {
          node.summary = s;
          return node;
        }
        const fresh = this.makeRow(s);
        this.nodes.set(s.id, fresh);
        return fresh;
      });
      const seen = new Set(list.map((s) => s.id));
      const gone = [...this.nodes.keys()].filter((id) => !seen.has(id));
      for (const id of gone) this.nodes.delete(id);
      this.loaded(rows, gone);
      return rows;
    } catch (err) {
      this.roots = undefined;
      this.onError(err);
      return [];
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
