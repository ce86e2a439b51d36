// strata.openChange [file row] or [{kind, id}, path, mark]: one changed file in the diff editor, the
// path in two versions (left: the layer's parent or the container's image; right: the layer or the
// container). What a click on a file row runs; not in the Command Palette.
import * as vscode from 'vscode';
import type { Mark } from '../diff/change-index';
import { openDiff } from '../diff/open';
import { hexId, layerBase, type ChangeSource } from '../diff/uris';
import { ChangeFileNode, ChangeFolderNode } from '../tree/change-nodes';
import type { Services } from './services';

async function sourceFor(s: Services, kind: 'layer' | 'container', id: string): Promise<ChangeSource> {
  const client = await s.helper.client();
  if (kind === 'layer') return { kind, id: hexId(id), base: layerBase((await client.request('layer.inspect', { id: hexId(id) })).parent) };
  const detail = await client.request('container.inspect', { id });
  return { kind, id: detail.id, base: { image: detail.imageId } };
}

export async function openChange(s: Services, arg?: unknown, pathArg?: unknown, markArg?: unknown): Promise<void> {
  if (arg instanceof ChangeFileNode) return openDiff(arg.source, arg.path, arg.mark);
  if (arg instanceof ChangeFolderNode) return openDiff(arg.source, arg.entry.path, arg.entry.mark);
  // ({kind, id}, path, mark): for keybindings and tests. The base is asked of the helper.
  const given = arg as { kind?: unknown; id?: unknown } | undefined;
  if (given && typeof given.id === 'string' && (given.kind === 'layer' || given.kind === 'container') && typeof pathArg === 'string') {
    return openDiff(await sourceFor(s, given.kind, given.id), pathArg, markArg as Mark | undefined);
  }
  void vscode.window.showInformationMessage('Strata: click a changed file in the Images or Containers view to see its diff.');
}
