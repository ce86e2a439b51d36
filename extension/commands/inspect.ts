// strata.inspectContainer, strata.inspectImage [row | id | name]: the inspect JSON in a read-only
// editor (strata-inspect:, syntax highlighted, read again when the store changes);
// strata.showProcesses and strata.containerStats [container]: `strata top` and `strata stats`,
// live while shown (extension/inspect/inspect-provider.ts).
import * as vscode from 'vscode';
import { inspectUri, type InspectKind } from '../inspect/inspect-provider';
import { ImageNode } from '../tree/image-node';
import type { Services } from './services';
import { targetContainer } from './container-actions';
import { pickImage } from './targets';
import { CancelledError } from './wrap';

async function show(kind: InspectKind, id: string) {
  const uri = inspectUri(kind, id);
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  return { uri, editor };
}

/** Full ids in the URIs, so that one container or image has one document whatever it was called by. */
async function fullContainerId(s: Services, id: string): Promise<string> {
  return (await (await s.helper.client()).request('container.inspect', { id })).id;
}

export async function inspectContainer(s: Services, arg?: unknown) {
  return show('container', await fullContainerId(s, await targetContainer(s, arg, 'Inspect which container?')));
}

export async function inspectImage(s: Services, arg?: unknown) {
  const ref = arg instanceof ImageNode ? arg.imageId : typeof arg === 'string' && arg ? arg : await pickImage(s, 'Inspect which image?');
  if (!ref) throw new CancelledError();
  return show('image', (await (await s.helper.client()).request('image.inspect', { ref })).id);
}

export async function showProcesses(s: Services, arg?: unknown) {
  return show('processes', await fullContainerId(s, await targetContainer(s, arg, 'Show the processes of which container?', (running) => running)));
}

export async function containerStats(s: Services, arg?: unknown) {
  return show('stats', await fullContainerId(s, await targetContainer(s, arg, 'Stats of which container?', (running) => running)));
}
