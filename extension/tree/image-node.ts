// One image: name:tag, size and age (its ids in the hover); it opens into its layers, newest first, each
// with its change counts (each layer's change list is fetched once and kept: layers never change).
import * as vscode from 'vscode';
import type { ImageDetail, ImageSummary } from '../../helper/protocol';
import type { ChangesCache } from '../diff/changes';
import type { Helper } from '../client/helper';
import { age, code, commandLine, formatSize, shortId } from './format';
import { LayerNode } from './layer-node';
import type { TreeNode } from './node';

export class ImageNode implements TreeNode {
  /** Its repository's row when the view groups it (images-provider.ts), else none. */
  parent: TreeNode | undefined = undefined;
  readonly id: string;
  private layers: Promise<LayerNode[]> | undefined;
  private detail: ImageDetail | undefined;

  constructor(public summary: ImageSummary, private readonly helper: Helper, private readonly changes: ChangesCache) {
    this.id = `image:${summary.id}`;
  }

  get imageId(): string {
    return this.summary.id;
  }

  /** What a user types to use this image: its first name:tag, else its short id. */
  get ref(): string {
    return this.summary.repoTags[0] ?? shortId(this.summary.id);
  }

  treeItem(): vscode.TreeItem {
    const s = this.summary;
    const label = s.repoTags.length ? s.repoTags.join(', ') : '<none>:<none>';
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    // Name first, then size (issue 10, item 6: ids were what a narrow sidebar showed); ids are in the hover.
    item.description = `${formatSize(s.size)} · ${age(s.created)}`;
    item.iconPath = new vscode.ThemeIcon('package');
    item.contextValue = 'image';
    item.tooltip = this.tooltip();
    return item;
  }

  private tooltip(): vscode.MarkdownString {
    const s = this.summary;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${s.repoTags.join(', ') || '<none>'}**\n\n`);
    md.appendMarkdown(`- image id: ${code(s.id)}\n- ${s.layers} layer${s.layers === 1 ? '' : 's'}, ${formatSize(s.size)}\n- created: ${s.created} (${age(s.created)})\n`);
    if (this.detail) {
      const cmd = this.detail.config.config.Cmd;
      if (cmd?.length) md.appendMarkdown(`- command: ${code(commandLine(cmd, 200))}\n`);
      md.appendMarkdown('\nLayers, newest first:\n');
      const layers = [...this.detail.layers].reverse();
      for (const l of layers.slice(0, 8)) {
        md.appendMarkdown(`\n- **${shortId(l.id)}** chain id ${code(l.id)}  \n  diff_id ${code(l.diffId)}  \n  on disk ${code(l.path)}\n`);
      }
      if (layers.length > 8) md.appendMarkdown(`\n- … and ${layers.length - 8} more\n`);
    }
    return md;
  }

  /** On hover: the layers' full ids and folders, read once. */
  async resolve(item: vscode.TreeItem): Promise<vscode.TreeItem> {
    if (!this.detail) {
      const client = await this.helper.client();
      this.detail = await client.request('image.inspect', { ref: this.summary.id });
    }
    item.tooltip = this.tooltip();
    return item;
  }

  children(): Promise<LayerNode[]> {
    this.layers ??= this.loadLayers();
    this.layers.catch(() => { this.layers = undefined; });
    return this.layers;
  }

  private async loadLayers(): Promise<LayerNode[]> {
    const client = await this.helper.client();
    const detail = await client.request('image.inspect', { ref: this.summary.id });
    this.detail = detail;
    const indexes = await Promise.all(detail.layers.map((l) => this.changes.layer(l.id).catch(() => undefined)));
    const total = detail.layers.length;
    return detail.layers.map((l, i) => new LayerNode(this, l, i + 1, total, indexes[i])).reverse();
  }

  /** The layer row for a chain id, once the layers are loaded (for reveal after a commit). */
  async findLayer(layerId: string): Promise<LayerNode | undefined> {
    return (await this.children()).find((n) => n.layer.id === layerId);
  }
}
