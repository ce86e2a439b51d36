// What the commands work with, made once in activate().
import type * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import type { FileCache } from '../diff/file-cache';
import type { Shells } from '../terminal/shells';
import type { ContainersProvider } from '../tree/containers-provider';
import type { FilesProvider } from '../tree/files-provider';
import type { ImagesProvider } from '../tree/images-provider';
import type { TreeNode } from '../tree/node';
import type { ErrorReporter } from './wrap';

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly helper: Helper;
  readonly changes: ChangesCache;
  readonly images: ImagesProvider;
  readonly imagesView: vscode.TreeView<TreeNode>;
  readonly containers: ContainersProvider;
  readonly containersView: vscode.TreeView<TreeNode>;
  readonly shells: Shells;
  readonly errors: ErrorReporter;
  /** The bytes of the strata-* file systems, batched and kept (for prefetching a multi-diff's files). */
  readonly files: FileCache;
  /** Browse Files: the Container Files view. */
  readonly containerFiles: FilesProvider;
  readonly containerFilesView: vscode.TreeView<TreeNode>;
}
