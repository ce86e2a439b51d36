// A, M and D on changed files, in the colours and letters Git uses in VS Code, on the tree rows,
// the editor tabs and anywhere else a strata-layer: or strata-container: URI shows. Propagated,
// so a folder takes the colour of the changes inside it, as in the Explorer.
import * as vscode from 'vscode';
import type { Mark } from './change-index';
import type { ChangesCache } from './changes';
import { parseUri } from './uris';

const STYLE: Record<Mark, { color: string; tooltip: string }> = {
  A: { color: 'gitDecoration.addedResourceForeground', tooltip: 'Added' },
  M: { color: 'gitDecoration.modifiedResourceForeground', tooltip: 'Modified' },
  D: { color: 'gitDecoration.deletedResourceForeground', tooltip: 'Deleted' },
};

export function decorationFor(mark: Mark): vscode.FileDecoration {
  const d = new vscode.FileDecoration(mark, STYLE[mark].tooltip, new vscode.ThemeColor(STYLE[mark].color));
  d.propagate = true;
  return d;
}

export class ChangeDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly changes: ChangesCache) {
    this.sub = changes.onDidChangeContainer((e) => this.emitter.fire(e.uris));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    // A file in a layer's or a container's version carries the mark of that layer's or container's
    // change to it (the rows, and the right of their diffs); an image's files carry none.
    const parsed = parseUri(uri);
    if (!parsed) return undefined;
    const mark = this.changes.peek(parsed.version)?.markOf(parsed.path);
    return mark ? decorationFor(mark) : undefined;
  }

  /** After a change list loaded for the first time: every row of it may need its colour. */
  refresh(): void {
    this.emitter.fire(undefined);
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
