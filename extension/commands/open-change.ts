// strata.openChange [file row] or [source, path, mark]: one changed file in the diff editor (left: as
// the layers below or the image show it; right: as this layer or the container has it). What a
// click on a file row runs; not in the Command Palette.
import * as vscode from 'vscode';
import type { Mark } from '../diff/change-index';
import { openDiff } from '../diff/open';
import { hexId, type ChangeSource } from '../diff/uris';
import { ChangeFileNode, ChangeFolderNode } from '../tree/change-nodes';
import type { Services } from './services';

export async function openChange(_s: Services, arg?: unknown, pathArg?: unknown, markArg?: unknown): Promise<void> {
  if (arg instanceof ChangeFileNode) return openDiff(arg.source, arg.path, arg.mark);
  if (arg instanceof ChangeFolderNode) return openDiff(arg.source, arg.entry.path, arg.entry.mark);
  // (source, path, mark): for keybindings and tests.
  const source = arg as ChangeSource | undefined;
  if (source && (source.kind === 'layer' || source.kind === 'container') && typeof pathArg === 'string') {
    return openDiff({ kind: source.kind, id: hexId(source.id) }, pathArg, markArg as Mark | undefined);
  }
  void vscode.window.showInformationMessage('Strata: click a changed file in the Images or Containers view to see its diff.');
}
