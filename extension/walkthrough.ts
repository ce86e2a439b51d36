// The walkthrough's steps tick from what the store holds, not only from commands run in this
// window (issue 10, item 5): "Make an image" once any image exists (strata.hasImages), "Change a
// file" once a container has changes (strata.containerHasChanges, also set by the change cache
// when a container's list is read). package.json's completionEvents name these context keys; the
// workbench ticks a step when its key becomes true.
import * as vscode from 'vscode';
import type { Helper } from './client/helper';

/** How long after activation the store is first looked at: activation itself never waits for the helper. */
const FIRST_LOOK_MS = 1000;
/** container.changed comes a few times a second per container: the key is set again at most this often. */
const CHANGES_EVERY_MS = 2000;

export function trackWalkthrough(helper: Helper): vscode.Disposable {
  let changesSetAt = 0;
  const lookForImages = async () => {
    const client = await helper.clientForView();
    if (!client) return;
    const images = await client.request('images.list', {}).catch(() => undefined);
    if (images) await vscode.commands.executeCommand('setContext', 'strata.hasImages', images.length > 0);
  };
  const timer = setTimeout(() => void lookForImages(), FIRST_LOOK_MS);
  return vscode.Disposable.from(
    { dispose: () => clearTimeout(timer) },
    helper.onDidChangeStore((e) => { if (e.what === 'images') void lookForImages(); }),
    helper.onDidChangeContainerFiles(() => {
      if (Date.now() - changesSetAt < CHANGES_EVERY_MS) return;
      changesSetAt = Date.now();
      void vscode.commands.executeCommand('setContext', 'strata.containerHasChanges', true);
    }),
  );
}
