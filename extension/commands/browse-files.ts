// strata.browseFiles [container row | id | name]: the container's whole file system in the
// Container Files view (tree/files-provider.ts). strata.openContainerFile (id, path): a file of it
// in the editor, read-only; as a diff against the image when the container changed it.
// strata.closeContainerFiles: hides the view again.
import * as vscode from 'vscode';
import { openDiff } from '../diff/open';
import { versionUri } from '../diff/uris';
import type { Services } from './services';
import { targetContainer } from './container-actions';

export async function browseFiles(s: Services, arg?: unknown) {
  const id = await targetContainer(s, arg, 'Browse the files of which container?');
  const detail = await (await s.helper.client()).request('container.inspect', { id });
  await s.containerFiles.browse({ id: detail.id, name: detail.name, imageId: detail.imageId });
  s.containerFilesView.description = s.containerFiles.describe();
  s.containerFilesView.title = 'Container Files';
  await vscode.commands.executeCommand('setContext', 'strata.browsing', true);
  await vscode.commands.executeCommand('strata.files.focus');
  return { id: detail.id, name: detail.name };
}

export async function openContainerFile(s: Services, idArg?: unknown, pathArg?: unknown) {
  if (typeof idArg !== 'string' || typeof pathArg !== 'string' || !pathArg.startsWith('/')) {
    void vscode.window.showInformationMessage('Strata: click a file in the Container Files view (Browse Files on a container) to open it.');
    return undefined;
  }
  const detail = await (await s.helper.client()).request('container.inspect', { id: idArg });
  const source = { kind: 'container' as const, id: detail.id, base: { image: detail.imageId } };
  const mark = (await s.changes.container(source)).markOf(pathArg);
  if (mark) {
    await openDiff(source, pathArg, mark);
    return { diff: true, mark };
  }
  const uri = versionUri({ container: detail.id }, pathArg);
  await vscode.window.showTextDocument(uri, { preview: true });
  return { diff: false, uri };
}

export async function closeContainerFiles(s: Services) {
  s.containerFiles.close();
  await vscode.commands.executeCommand('setContext', 'strata.browsing', false);
}
