// The files a layer or a container changes, as a folder tree whose rows look like Git's: the
// file's icon, its name in the A/M/D colour with the letter as a badge (from ChangeDecorations,
// through resourceUri). A file opens its diff; a folder builds its children when opened.
import * as vscode from 'vscode';
import type { ChangeEntry, ChangeIndex, Mark } from '../diff/change-index';
import { changeRowUri, type ChangeSource } from '../diff/uris';
import type { TreeNode } from './node';

const MARK_WORDS: Record<Mark, string> = { A: 'added', M: 'changed', D: 'deleted' };

/** The rows of one folder of a change list; `owner` is the layer or container row the list belongs to. */
export function changeNodes(parent: TreeNode, owner: string, source: ChangeSource, index: ChangeIndex, folder = '/'): TreeNode[] {
  return index.children(folder).map((entry) =>
    entry.folder ? new ChangeFolderNode(parent, owner, source, index, entry) : new ChangeFileNode(parent, owner, source, entry));
}

export class ChangeFolderNode implements TreeNode {
  readonly id: string;
  private kids: TreeNode[] | undefined;

  constructor(readonly parent: TreeNode, readonly owner: string, readonly source: ChangeSource, readonly index: ChangeIndex, readonly entry: ChangeEntry) {
    this.id = `${owner}#${entry.path}`;
  }

  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.entry.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.resourceUri = changeRowUri(this.source, this.entry.path);
    item.iconPath = vscode.ThemeIcon.Folder;
    item.contextValue = 'change.folder';
    item.tooltip = this.entry.mark ? `${this.entry.path} (folder ${MARK_WORDS[this.entry.mark]})` : this.entry.path;
    return item;
  }

  children(): TreeNode[] {
    this.kids ??= changeNodes(this, this.owner, this.source, this.index, this.entry.path);
    // A folder added (or deleted) with nothing in it is still a folder: it opens to say so.
    if (this.kids.length === 0) {
      const what = this.entry.mark === 'D' ? '(deleted with what it held)' : '(empty)';
      this.kids = [new MessageNode(this, `${this.id}#empty`, what, 'blank')];
    }
    return this.kids;
  }
}

export class ChangeFileNode implements TreeNode {
  readonly id: string;

  constructor(readonly parent: TreeNode, readonly owner: string, readonly source: ChangeSource, readonly entry: ChangeEntry) {
    this.id = `${owner}#${entry.path}`;
  }

  get path(): string {
    return this.entry.path;
  }

  get mark(): Mark | undefined {
    return this.entry.mark;
  }

  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.entry.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.resourceUri = changeRowUri(this.source, this.entry.path);
    item.iconPath = vscode.ThemeIcon.File;
    item.contextValue = 'change.file';
    item.tooltip = `${this.entry.path} (${this.entry.mark ? MARK_WORDS[this.entry.mark] : 'unchanged'})`;
    item.command = { command: 'strata.openChange', title: 'Open Changes', arguments: [this] };
    return item;
  }

  children(): TreeNode[] {
    return [];
  }
}

/** A row that only says something ("No changes yet"). */
export class MessageNode implements TreeNode {
  constructor(readonly parent: TreeNode | undefined, readonly id: string, private readonly text: string, private readonly icon = 'info') {}

  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.icon);
    item.contextValue = 'message';
    return item;
  }

  children(): TreeNode[] {
    return [];
  }
}
