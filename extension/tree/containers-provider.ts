// The Containers view: every container (running or not), each opening into its live changes.
// The helper announces container starts and stops (`changed`); file changes inside a running
// container are not events, so an open, running container's change list is re-read every
// POLL_MS while the view is visible, and only a difference refreshes its rows.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import { ContainerNode } from './container-node';
import type { TreeNode } from './node';
import { RowsProvider } from './rows-provider';
import type { ContainerSummary } from '../../helper/protocol';

// FIXME(issue 10, item 8): this polls container.changes every POLL_MS while a running container is
// expanded, which floods the output log; the helper should watch each running container's upper
// dir and push a coalesced container.changed notification instead.
export const POLL_MS = 1500;

export class ContainersProvider extends RowsProvider<ContainerNode, ContainerSummary> {
  private readonly expanded = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private visible = false;
  private polling = false;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly helper: Helper, private readonly changes: ChangesCache) {
    super();
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

  protected async list(): Promise<ContainerSummary[] | undefined> {
    const client = await this.helper.clientForView();
    return client ? client.request('containers.list', { all: true }) : undefined;
  }

  protected makeRow(summary: ContainerSummary): ContainerNode {
    return new ContainerNode(summary, this.helper, this.changes);
  }

  protected override loaded(_rows: ContainerNode[], gone: string[]): void {
    for (const id of gone) {
      this.expanded.delete(id);
      this.changes.forgetContainer(id);
    }
    this.schedule();
  }

  containers(): Promise<ContainerNode[]> {
    return this.rows();
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
      await Promise.all(open.map((n) => this.changes.container(n!.source).catch(() => undefined)));
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  override dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subs) s.dispose();
    super.dispose();
  }
}
