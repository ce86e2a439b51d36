// What the Images and Containers views share: a tree of TreeNodes whose top rows come from one
// helper listing, kept by id and updated in place (so expansions survive a refresh), reloaded
// on refresh(), with listing errors handed to the caller (a view cannot show them itself).
// The rows shown are filtered by name (Filter…, said in the view's description) and sorted (newest
// first, or by name: the setting strata.<view>.sortBy); when the helper cannot be reached the view's
// message says why and where to look.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import type { TreeNode } from './node';

/** Why the helper could not be reached, short: each way tried and what it said. */
export function helperReason(helper: Helper): string {
  const e = helper.lastError;
  if (!e) return 'the last attempt to start or reach it failed';
  return e.tried.map((t) => `${t.mode}: ${t.why}`).join('; ') || e.message;
}

export type SortBy = 'newest' | 'name';

/** The view's message when no helper answers: the reason, and the command that shows the log. */
export function unreachableMessage(reason: string): string {
  return `Strata helper not reachable: ${reason}. Run 'Strata: Show Strata Log' for details, or Refresh to try again.`;
}

export abstract class RowsProvider<Row extends TreeNode & { summary: S }, S extends { id: string; created: string }>
  implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  protected readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  protected readonly nodes = new Map<string, Row>();
  private roots: Promise<Row[]> | undefined;
  onError: (err: unknown) => void = () => undefined;
  private filterText = '';
  private view: vscode.TreeView<TreeNode> | undefined;
  /** Why the last listing got nothing from the helper (undefined: it answered). */
  private unreachable: string | undefined;

  /** What the view is called in messages ("images"), and its setting's prefix (strata.images). */
  protected abstract readonly noun: string;
  /** The text a filter is matched against (names, tags, image). */
  protected abstract nameOf(summary: S): string;
  /** Why no helper answered, when list() gave undefined. */
  protected unreachableReason(): string {
    return 'the last attempt to start or reach it failed';
  }

  /** The listing from the helper; undefined when no helper can be reached. */
  protected abstract list(): Promise<S[] | undefined>;
  protected abstract makeRow(summary: S): Row;
  /** After a listing: the rows shown, and the ids that are gone. */
  protected loaded(_rows: Row[], _gone: string[]): void {}

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    return node ? node.children() : this.shown().then((rows) => this.arrange(rows));
  }

  /** The top-level nodes for the rows shown (the Images view groups some under their repository). */
  protected arrange(rows: Row[]): TreeNode[] {
    return rows;
  }

  /** The view whose description and message this provider keeps. */
  attach(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
    this.describe(0, 0);
  }

  get filter(): string {
    return this.filterText;
  }

  /** Shows only rows whose name contains `text` (case-insensitive); '' shows every row. */
  setFilter(text: string): void {
    this.filterText = text.trim();
    void vscode.commands.executeCommand('setContext', `strata.${this.noun}Filtered`, this.filterText !== '');
    this.emitter.fire(undefined);
  }

  get sortBy(): SortBy {
    return vscode.workspace.getConfiguration('strata').get<SortBy>(`${this.noun}.sortBy`) === 'name' ? 'name' : 'newest';
  }

  /** The rows the view shows: filtered, sorted. */
  async shown(): Promise<Row[]> {
    const all = await this.rows();
    const needle = this.filterText.toLowerCase();
    const rows = needle ? all.filter((r) => this.nameOf(r.summary).toLowerCase().includes(needle)) : [...all];
    if (this.sortBy === 'name') rows.sort((a, b) => this.nameOf(a.summary).localeCompare(this.nameOf(b.summary)));
    this.describe(rows.length, all.length);
    return rows;
  }

  /** The view's description (the filter, the sort) and message (unreachable, nothing matches). */
  private describe(shown: number, total: number): void {
    if (!this.view) return;
    const parts: string[] = [];
    if (this.unreachable) parts.push('helper not reachable');
    // Short: the title bar's buttons take most of its width; the message below says it all.
    if (this.filterText) parts.push(`filter: "${this.filterText}"`);
    if (this.sortBy === 'name') parts.push('by name');
    this.view.description = parts.join(' · ') || undefined;
    if (this.unreachable) this.view.message = unreachableMessage(this.unreachable);
    else if (this.filterText && shown === 0) this.view.message = `No ${this.noun} match "${this.filterText}". Clear Filter shows all ${total}.`;
    else if (this.filterText) this.view.message = `${shown} of ${total} ${this.noun}: those whose name contains "${this.filterText}". Clear Filter shows all.`;
    else this.view.message = undefined;
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
      this.unreachable = list ? undefined : this.unreachableReason();
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
      this.unreachable = (err as Error).name === 'ConnectionLostError' ? 'the connection to it was lost' : undefined;
      this.onError(err);
      return [];
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
