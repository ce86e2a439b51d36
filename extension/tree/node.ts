// What every row of the Strata trees is: it knows its parent (so a view can reveal it), its row,
// and its children. Nodes are kept and reused between refreshes, since VS Code finds a row by the
// object it was given.
import type * as vscode from 'vscode';

export interface TreeNode {
  readonly parent: TreeNode | undefined;
  /** Unique in its view; also the TreeItem id, which keeps a row's expansion across refreshes. */
  readonly id: string;
  treeItem(): vscode.TreeItem;
  children(): TreeNode[] | Promise<TreeNode[]>;
  /** Fills in a slow tooltip on hover (optional). */
  resolve?(item: vscode.TreeItem): Promise<vscode.TreeItem>;
}
