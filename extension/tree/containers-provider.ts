// The Containers view: every container (running or not), each opening into its live changes.
// The helper announces container starts and stops (`changed`), and pushes `container.changed` when
// a running container's files change (engine/watch.ts); the change cache then reads that
// container's list again, and a list that differs refreshes its rows. Nothing is polled.
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import { ContainerNode } from './container-node';
import { helperReason, RowsProvider } from './rows-provider';
import type { ContainerSummary } from '../../helper/protocol';

export class ContainersProvider extends RowsProvider<ContainerNode, ContainerSummary> {
  private readonly subs: { dispose(): void }[] = [];
  protected readonly noun = 'containers';

  constructor(private readonly helper: Helper, private readonly changes: ChangesCache) {
    super();
    this.subs.push(changes.onDidChangeContainer((e) => {
      const node = this.nodes.get(e.id);
      if (node && e.listChanged) this.emitter.fire(node);
    }));
  }

  protected async list(): Promise<ContainerSummary[] | undefined> {
    const client = await this.helper.clientForView();
    return client ? client.request('containers.list', { all: true }) : undefined;
  }

  /** Its name, then its image: a filter finds a container by either. */
  protected nameOf(c: ContainerSummary): string {
    return `${c.name} ${c.image}`;
  }

  protected override unreachableReason(): string {
    return helperReason(this.helper);
  }

  protected makeRow(summary: ContainerSummary): ContainerNode {
    return new ContainerNode(summary, this.helper, this.changes);
  }

  protected override loaded(_rows: ContainerNode[], gone: string[]): void {
    for (const id of gone) this.changes.forgetContainer(id);
  }

  containers(): Promise<ContainerNode[]> {
    return this.rows();
  }

  async findContainer(id: string): Promise<ContainerNode | undefined> {
    return (await this.containers()).find((n) => n.containerId === id || n.containerId.startsWith(id));
  }

  override dispose(): void {
    for (const s of this.subs) s.dispose();
    super.dispose();
  }
}
