// One layer of an image: what made it, its size and its files' A/M/D counts (the files the
// multi-diff editor lists; folders are counted in the hover); its hover has the ids and where it
// lives on disk. What a narrow sidebar cuts last comes first (issue 10, item 6). It opens into the
// files it changes.
import * as vscode from 'vscode';
import type { LayerInfo } from '../../helper/protocol';
import type { ChangeIndex } from '../diff/change-index';
import { buildRecords, type BuiltLayer } from './build-records';
import { hexId, layerBase, type ChangeSource } from '../diff/uris';
import { changeNodes, MessageNode } from './change-nodes';
import { age, code, formatSize, shortId } from './format';
import type { TreeNode } from './node';

export class LayerNode implements TreeNode {
  readonly id: string;
  private kids: TreeNode[] | undefined;

  constructor(
    readonly parent: TreeNode & { readonly imageId: string },
    readonly layer: LayerInfo,
    /** 1 for the base layer. */
    readonly position: number,
    readonly total: number,
    /** Undefined when the change list could not be read (the row says so). */
    readonly index: ChangeIndex | undefined,
  ) {
    this.id = `${parent.id}/layer:${hexId(layer.id)}`;
  }

  get source(): ChangeSource {
    return { kind: 'layer', id: hexId(this.layer.id), base: layerBase(this.layer.parent) };
  }

  /** The Dockerfile instruction that made this layer, when a build in this VS Code did (build-records.ts). */
  get built(): BuiltLayer | undefined {
    return buildRecords.get(this.layer.id);
  }

  /** The instruction, the command or the commit message that made this layer. */
  get madeBy(): string {
    return (this.built?.instruction || this.layer.comment || this.layer.createdBy || '(no history)').replace(/\s+/g, ' ').trim();
  }

  counts(): string {
    if (!this.index) return 'changes unknown';
    const { A, M, D } = this.index.counts;
    return `+${A} ~${M} −${D}`;
  }

  treeItem(): vscode.TreeItem {
    const label = this.madeBy.length > 60 ? `${this.madeBy.slice(0, 59)}…` : this.madeBy;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = `${formatSize(this.layer.size)} · ${this.counts()}`;
    item.iconPath = new vscode.ThemeIcon(this.position === this.total ? 'layers-active' : 'layers');
    item.contextValue = this.built ? 'layer.built' : 'layer';
    item.tooltip = this.tooltip();
    return item;
  }

  private tooltip(): vscode.MarkdownString {
    const l = this.layer;
    const words = (c: Record<'A' | 'M' | 'D', number>) => `${c.A} added, ${c.M} changed, ${c.D} deleted`;
    const counts = this.index
      ? `${this.index.files} (${words(this.index.counts)}); folders: ${words(this.index.folderCounts)}`
      : 'unknown';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Layer ${shortId(l.id)}** — ${this.position} of ${this.total}${this.position === this.total ? ' (top)' : this.position === 1 ? ' (base)' : ''}\n\n`);
    md.appendMarkdown(`- chain id: ${code(l.id)}\n- diff_id: ${code(l.diffId)}\n`);
    md.appendMarkdown(`- parent: ${l.parent ? code(l.parent) : 'none (a base layer)'}\n`);
    md.appendMarkdown(`- on disk: ${code(l.path)}\n`);
    md.appendMarkdown(`- size: ${formatSize(l.size)}; files: ${counts}\n`);
    md.appendMarkdown(`- created: ${l.created} (${age(l.created)})\n`);
    if (l.createdBy) md.appendMarkdown(`- created by: ${code(l.createdBy)}\n`);
    if (l.comment) md.appendText(`- comment: ${l.comment}\n`);
    const built = this.built;
    if (built) {
      const where = `${vscode.workspace.asRelativePath(vscode.Uri.parse(built.file))}:${built.line}`;
      const go = `command:strata.goToInstruction?${encodeURIComponent(JSON.stringify([l.id]))}`;
      md.appendMarkdown(`- instruction: ${code(built.instruction)}\n- from: [${where}](${go}) ([Go to instruction](${go}))\n`);
      md.isTrusted = { enabledCommands: ['strata.goToInstruction'] };
    }
    return md;
  }

  children(): TreeNode[] {
    if (!this.index) return [new MessageNode(this, `${this.id}#error`, 'Could not read this layer\'s changes (see the Strata log)', 'warning')];
    if (this.index.size === 0) return [new MessageNode(this, `${this.id}#empty`, 'This layer changes no files')];
    this.kids ??= changeNodes(this, this.id, this.source, this.index);
    return this.kids;
  }
}
