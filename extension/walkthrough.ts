// The walkthrough's steps tick from what the store holds, not only from commands run in this
// window (issue 10, item 5): "Make an image" once any image exists (strata.hasImages), "Change a
// file" once a container has changes (strata.containerHasChanges, also set by the change cache
// when a container's list is read). package.json's completionEvents name these context keys.
import * as vscode from 'vscode';
import type { Helper } from './client/helper';

/** How long after activation the store is first looked at: activation itself never waits for the helper. */
const FIRST_LOOK_MS = 1000;

export function trackWalkthrough(helper: Helper): vscode.Disposable {
  let hasImages = false;
  let containerChanged = false;
  const lookForImages = async () => {
    if (hasImages) return;
    const client = await helper.clientForView();
    const images = client ? await client.request('images.list', {}).catch(() => []) : [];
    if (images.length === 0 || hasImages) return;
    hasImages = true;
    await vscode.commands.executeCommand('setContext', 'strata.hasImages', true);
  };
  const timer = setTimeout(() => void lookForImages(), FIRST_LOOK_MS);
  return vscode.Disposable.from(
    { dispose: () => clearTimeout(timer) },
    helper.onDidChangeStore((e) => { if (e.what === 'images') void lookForImages(); }),
    helper.onDidChangeContainerFiles(() => {
      if (containerChanged) return;
      containerChanged = true;
      void vscode.commands.executeCommand('setContext', 'strata.containerHasChanges', true);
    }),
  );
}
