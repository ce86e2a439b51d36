// Opening changes the way Git does: one file in the diff editor, the path in two versions (left: the
// source's base, its parent layer or its image; right: the layer or the container), or every changed
// file of a layer at once in the multi-file diff editor.
import * as vscode from 'vscode';
import type { ChangeIndex, Mark } from './change-index';
import { hexId, versionOf, versionUri, type ChangeSource, type Version } from './uris';

/** The multi-diff editor gets slow past this many files; the rest are left out and said so. */
export const MULTI_DIFF_LIMIT = 1000;

export function sourceLabel(source: ChangeSource): string {
  return `${source.kind} ${hexId(source.id).slice(0, 12)}`;
}

export function diffTitle(source: ChangeSource, path: string, mark: Mark | undefined): string {
  const name = path.slice(path.lastIndexOf('/') + 1) || '/';
  const what = mark === 'A' ? 'added' : mark === 'D' ? 'deleted' : 'changed';
  return `${name} (${what} in ${sourceLabel(source)})`;
}

export async function openDiff(source: ChangeSource, path: string, mark: Mark | undefined, options: vscode.TextDocumentShowOptions = {}): Promise<void> {
  const left = versionUri(source.base, path);
  const right = versionUri(versionOf(source), path);
  await vscode.commands.executeCommand('vscode.diff', left, right, diffTitle(source, path, mark), { preview: true, ...options });
}

export interface MultiDiffResult {
  title: string;
  shown: number;
  total: number;
}

/** What opening a multi-diff needs of the file system: to ask for its files' bytes up front. */
export interface Prefetcher {
  prefetch(version: Version, paths: readonly string[]): void;
}

export async function openMultiDiff(source: ChangeSource, index: ChangeIndex, title: string, files?: Prefetcher): Promise<MultiDiffResult> {
  const leaves = index.leaves();
  const shown = leaves.slice(0, MULTI_DIFF_LIMIT);
  // Both sides' bytes, asked for in a few batched requests before the editor asks file by file
  // (issue 10, item 4); the editor's own reads then find them in flight or done.
  files?.prefetch(source.base, shown.filter((c) => c.kind !== 'A').map((c) => c.path));
  files?.prefetch(versionOf(source), shown.filter((c) => c.kind !== 'D').map((c) => c.path));
  // [resource, original, modified]: an added file has no original and a deleted one no modified,
  // which the multi-diff editor shows as "added" and "deleted", as it does for a Git commit.
  const resources = shown.map((c) => {
    const right = versionUri(versionOf(source), c.path);
    const left = versionUri(source.base, c.path);
    return [right, c.kind === 'A' ? undefined : left, c.kind === 'D' ? undefined : right] as const;
  });
  await vscode.commands.executeCommand('vscode.changes', title, resources);
  if (shown.length < leaves.length) {
    void vscode.window.showInformationMessage(`Strata: the multi-diff editor shows the first ${shown.length} of ${leaves.length} changed files; open the others from the tree.`);
  }
  return { title, shown: shown.length, total: leaves.length };
}
