// The Containers view: every container (running or not), each opening into its live changes.
// The helper announces container starts and stops (`changed`); file changes inside a running
// container are not events, so an open, running container's change list is re-read every
// POLL_MS while the view is visible, and only a difference refreshes its rows.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import { ContainerNode } from './container-node';
import type { TreeNode } from './node';

export const POLL_MS = 1500;

export class ContainersProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, ContainerNode>();
  private readonly expanded = new Set<string>();
  private roots: Promise<ContainerNode[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private visible = false;
  private polling = false;
  private readonly subs: vscode.Disposable[] = [];
  onError: (err: unknown) => void = () => undefined;

  constructor(private readonly helper: Helper, private readonly changes: ChangesCache) {
    this.subs.push(changes.onDidChangeContainer((e) => {
      const node = this.nodes.get(e.id);
      if (node) this.emitter.fire(node);
    }));
  }

  /** Follows the view: which containers are open, and whether anyone can see them. */
  watch(view: vscode.TreeView<TreeNode>): void {
    this.visible = view.visible;
    this.subs.push(
      view.onDidExpandElement((e) => { if (e.element instanceof ContainerNode) this.expanded.add(e.element.containerId); this.schedule(); }),
      view.onDidCollapseElement((e) => { if (e.element instanceof ContainerNode) this.expanded.delete(e.element.containerId); }),
      view.onDidChangeVisibility((e) => { this.visible = e.visible; this.schedule(); }),
    );
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    return node ? node.children() : this.containers();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    return node.resolve ? node.resolve(item).catch(() => item) : item;
  }

  containers(): Promise<ContainerNode[]> {
    this.roots ??= this.load();
    return this.roots;
  }

  private async load(): Promise<ContainerNode[]> {
    const client = await this.helper.clientForView();
    if (!client) return [];
    try {
      const list = await client.request('containers.list', { all: true });
      list.sort((a, b) => b.created.localeCompare(a.created));
      const seen = new Set<string>();
      const rows = list.map((s) => {
        seen.add(s.id);
        let node = this.nodes.get(s.id);
        if (node) node.summary = s;
        else this.nodes.set(s.id, (node = new ContainerNode(s, this.helper, this.changes)));
        return node;
      });
      for (const id of [...this.nodes.keys()]) {
        if (seen.has(id)) continue;
        this.nodes.delete(id);
        this.expanded.delete(id);
        this.changes.forgetContainer(id);
      }
      this.schedule();
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

  async findContainer(id: string): Promise<ContainerNode | undefined> {
    return (await this.containers()).find((n) => n.containerId === id || n.containerId.startsWith(id));
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.poll(); }, POLL_MS);
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.visible || this.helper.state !== 'connected') return;
    const open = [...this.expanded].map((id) => this.nodes.get(id)).filter((n) => n?.running);
    if (open.length === 0) return;
    this.polling = true;
    try {
      // A difference fires onDidChangeContainer, which refreshes that container's rows.
      await Promise.all(open.map((n) => this.changes.container(n!.containerId).catch(() => undefined)));
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
