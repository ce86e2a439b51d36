// The Images view: images newest first, their layers, the files each layer changes.
// Rows are kept by id and updated in place, so expansions survive a refresh and a commit can
// reveal the new layer by its node. A repository with more tagged images than
// strata.images.groupAbove (default 3) shows as one row with its images beneath (by the
// repository of an image's first tag), as Container Tools groups them.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import { ImageNode } from './image-node';
import type { LayerNode } from './layer-node';
import type { TreeNode } from './node';
import { RepositoryNode, repositoryOf } from './repository-node';
import { helperReason, RowsProvider } from './rows-provider';
import type { ImageSummary } from '../../helper/protocol';

export class ImagesProvider extends RowsProvider<ImageNode, ImageSummary> {
  protected readonly noun = 'images';
  private readonly groups = new Map<string, RepositoryNode>();

  constructor(private readonly helper: Helper, private readonly changes: ChangesCache) {
    super();
  }

  protected async list(): Promise<ImageSummary[] | undefined> {
    const client = await this.helper.clientForView();
    return client ? client.request('images.list', {}) : undefined;
  }

  /** Its tags (what its row says). */
  protected nameOf(i: ImageSummary): string {
    return i.repoTags.join(', ') || '<none>:<none>';
  }

  protected override unreachableReason(): string {
    return helperReason(this.helper);
  }

  /** More than groupAbove images in one repository: one row for it, its images beneath, in the view's order. */
  protected override arrange(rows: ImageNode[]): TreeNode[] {
    const above = Math.max(1, vscode.workspace.getConfiguration('strata').get<number>('images.groupAbove') ?? 3);
    const byRepo = new Map<string, ImageNode[]>();
    for (const r of rows) {
      const repo = repositoryOf(r.summary.repoTags[0]);
      if (repo) byRepo.set(repo, [...(byRepo.get(repo) ?? []), r]);
    }
    const out: TreeNode[] = [];
    const placed = new Set<string>();
    for (const r of rows) {
      const repo = repositoryOf(r.summary.repoTags[0]);
      const members = repo ? byRepo.get(repo)! : [];
      if (!repo || members.length <= above) {
        r.parent = undefined;
        out.push(r);
        continue;
      }
      if (placed.has(repo)) continue;
      placed.add(repo);
      let group = this.groups.get(repo);
      if (!group) this.groups.set(repo, (group = new RepositoryNode(repo)));
      group.setImages(members);
      out.push(group);
    }
    return out;
  }

  protected makeRow(summary: ImageSummary): ImageNode {
    return new ImageNode(summary, this.helper, this.changes);
  }

  protected override loaded(rows: ImageNode[]): void {
    void vscode.commands.executeCommand('setContext', 'strata.noImages', rows.length === 0);
  }

  /** The image rows, listed once per refresh. */
  images(): Promise<ImageNode[]> {
    return this.rows();
  }

  /** The image row, after a fresh listing (for reveal after import or commit). */
  async findImage(imageId: string): Promise<ImageNode | undefined> {
    this.refresh();
    return (await this.images()).find((n) => n.imageId === imageId);
  }

  async findLayer(imageId: string, layerId: string): Promise<LayerNode | undefined> {
    return (await this.findImage(imageId))?.findLayer(layerId);
  }
}
