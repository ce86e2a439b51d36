// A repository row of the Images view ("busybox", "registry.local/app"): the images tagged in it,
// beneath it, when it has more of them than strata.images.groupAbove (images-provider.ts).
import * as vscode from 'vscode';
import type { ImageNode } from './image-node';
import type { TreeNode } from './node';

/** The repository of a name:tag (or name@digest): what is before the tag; undefined for none. */
export function repositoryOf(tag: string | undefined): string | undefined {
  if (!tag) return undefined;
  const at = tag.indexOf('@');
  if (at >= 0) return tag.slice(0, at);
  const colon = tag.lastIndexOf(':');
  return colon > tag.lastIndexOf('/') ? tag.slice(0, colon) : tag;
}

export class RepositoryNode implements TreeNode {
  readonly parent = undefined;
  readonly id: string;
  private images: ImageNode[] = [];

  constructor(readonly repository: string) {
    this.id = `repository:${repository}`;
  }

  setImages(images: ImageNode[]): void {
    this.images = images;
    for (const i of images) i.parent = this;
  }

  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.repository, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = `${this.images.length} images`;
    item.iconPath = new vscode.ThemeIcon('repo');
    item.contextValue = 'repository';
    item.tooltip = `${this.repository}: ${this.images.length} tagged images (grouped above strata.images.groupAbove)`;
    return item;
  }

  children(): ImageNode[] {
    return this.images;
  }
}
