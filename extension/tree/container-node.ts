// One container: its name, then image and state, then its short id (its hostname), as Container
// Tools shows a container (issue 10, item 7); the command and full ids are in the hover. It opens
// into its live changes, what `strata diff` shows, re-read when the helper says they changed.
import * as vscode from 'vscode';
import type { ContainerSummary } from '../../helper/protocol';
import type { ChangesCache } from '../diff/changes';
import type { ChangeSource } from '../diff/uris';
import type { Helper } from '../client/helper';
import { changeNodes, MessageNode } from './change-nodes';
import { age, code, commandLine, shortId } from './format';
import type { TreeNode } from './node';

export function statusText(c: ContainerSummary): string {
  if (c.status === 'running') return `${c.paused ? 'paused' : 'running'}, up ${age(c.startedAt).replace(/ ago$/, '')}`;
  if (c.status === 'exited') return `exited (${c.exitCode ?? '?'}) ${age(c.finishedAt)}`;
  return 'created';
}

export class ContainerNode implements TreeNode {
  readonly parent = undefined;
  readonly id: string;
  private upperDir: string | undefined;

  constructor(public summary: ContainerSummary, private readonly helper: Helper, private readonly changes: ChangesCache) {
    this.id = `container:${summary.id}`;
  }

  get containerId(): string {
    return this.summary.id;
  }

  get running(): boolean {
    return this.summary.status === 'running';
  }

  get source(): ChangeSource & { kind: 'container' } {
    return { kind: 'container', id: this.summary.id, base: { image: this.summary.imageId } };
  }

  treeItem(): vscode.TreeItem {
    const c = this.summary;
    const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = `${c.image} · ${statusText(c)} · ${shortId(c.id)}`;
    item.iconPath = c.paused
      ? new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow'))
      : this.running ? new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('charts.green')) : new vscode.ThemeIcon('vm-outline');
    // container.running, container.paused (running, frozen), container.exited, container.created
    item.contextValue = c.paused ? 'container.paused' : `container.${c.status}`;
    item.tooltip = this.tooltip();
    return item;
  }

  private tooltip(): vscode.MarkdownString {
    const c = this.summary;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${c.name}** (container ${shortId(c.id)}) — ${statusText(c)}\n\n`);
    md.appendMarkdown(`- id: ${code(c.id)}\n- hostname: ${code(c.hostname)}\n- image: ${code(c.image)} (${code(c.imageId)})\n`);
    md.appendMarkdown(`- command: ${code(commandLine(c.command, 200))}\n- created: ${c.created} (${age(c.created)})\n`);
    if (this.upperDir) md.appendMarkdown(`- its changes on disk (the overlay's upper dir): ${code(this.upperDir)}\n`);
    return md;
  }

  /** On hover: where its changes live on disk, asked each time (a commit of the stopped container
   *  moves them into the new layer's folder). */
  async resolve(item: vscode.TreeItem): Promise<vscode.TreeItem> {
    const client = await this.helper.client();
    this.upperDir = (await client.request('container.inspect', { id: this.summary.id })).upperDir;
    item.tooltip = this.tooltip();
    return item;
  }

  async children(): Promise<TreeNode[]> {
    let index;
    try {
      index = await this.changes.container(this.source);
    } catch (err) {
      return [new MessageNode(this, `${this.id}#error`, `Changes unavailable: ${(err as Error).message}`, 'warning')];
    }
    if (index.size === 0) return [new MessageNode(this, `${this.id}#empty`, 'No changes yet: the container sees its image as it is')];
    return changeNodes(this, this.id, this.source, index);
  }
}
