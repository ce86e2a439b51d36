// Every command of the extension, in one list: its id (as in package.json), what it does (for
// error messages), and its handler. Each handler takes optional arguments, so that keybindings,
// tasks and tests can run it without dialogs; each runs through wrap(), which reports errors.
import * as vscode from 'vscode';
import { buildImage } from './build-image';
import { checkStore } from './check-store';
import { commitContainer } from './commit-container';
import { attachContainer, copyContainerId, execShell, killContainer, pruneContainers, renameContainer, startContainer } from './container-actions';
import { containerStats, inspectContainer, inspectImage, showProcesses } from './inspect';
import { pauseContainer, restartContainer, unpauseContainer } from './container-state';
import { createBusyboxImage } from './create-busybox';
import { createDebootstrapImage } from './create-debootstrap';
import { importTarball } from './import-tarball';
import { loadImage } from './load-image';
import { saveImage } from './save-image';
import { goToInstruction } from './go-to-instruction';
import { openChange } from './open-change';
import { openLayerChanges } from './open-layer-changes';
import { openShell, openShellWith } from './open-shell';
import { pullImage } from './pull-image';
import { pushImage } from './push-image';
import { refresh } from './refresh';
import { removeContainer } from './remove-container';
import { removeImage } from './remove-image';
import { revealLayer } from './reveal-layer';
import type { Services } from './services';
import { showContainerLogs } from './show-container-logs';
import { showLog } from './show-log';
import { stopContainer } from './stop-container';
import { wrap } from './wrap';
import { copyImageId, copyImageTag, imageHistory, pruneImages, runImage, tagImage } from './image-actions';
import { browseFiles, closeContainerFiles, openContainerFile } from './browse-files';
import { clearContainersFilter, clearImagesFilter, filterContainers, filterImages, sortContainers, sortImages } from './view-options';

type Handler = (s: Services, ...args: unknown[]) => unknown;

export const COMMANDS: readonly { id: string; what: string; run: Handler }[] = [
  { id: 'strata.importTarball', what: 'Import a root filesystem tarball', run: importTarball },
  { id: 'strata.createBusyboxImage', what: 'Create the built-in busybox image', run: createBusyboxImage },
  { id: 'strata.createDebootstrapImage', what: 'Create an image with debootstrap', run: createDebootstrapImage },
  { id: 'strata.openShell', what: 'Open shell in container', run: openShell },
  { id: 'strata.openShellWith', what: 'Open shell with…', run: openShellWith },
  { id: 'strata.commitContainer', what: 'Commit container', run: commitContainer },
  { id: 'strata.openLayerChanges', what: 'Open Changes', run: openLayerChanges },
  { id: 'strata.openChange', what: 'Open the diff', run: openChange },
  { id: 'strata.revealLayer', what: 'Reveal in graph folder', run: revealLayer },
  { id: 'strata.removeImage', what: 'Remove image', run: removeImage },
  { id: 'strata.removeContainer', what: 'Remove container', run: removeContainer },
  { id: 'strata.stopContainer', what: 'Stop container', run: stopContainer },
  { id: 'strata.showContainerLogs', what: 'View container logs', run: showContainerLogs },
  { id: 'strata.pauseContainer', what: 'Pause container', run: pauseContainer },
  { id: 'strata.unpauseContainer', what: 'Unpause container', run: unpauseContainer },
  { id: 'strata.restartContainer', what: 'Restart container', run: restartContainer },
  { id: 'strata.buildImage', what: 'Build image', run: buildImage },
  { id: 'strata.goToInstruction', what: 'Go to instruction', run: goToInstruction },
  // What Container Tools users reach for on a container (issue 10, part B).
  { id: 'strata.startContainer', what: 'Start container', run: startContainer },
  { id: 'strata.killContainer', what: 'Kill container', run: killContainer },
  { id: 'strata.attachContainer', what: 'Attach to container', run: attachContainer },
  { id: 'strata.execShell', what: 'Exec shell in container', run: execShell },
  { id: 'strata.inspectContainer', what: 'Inspect container', run: inspectContainer },
  { id: 'strata.inspectImage', what: 'Inspect image', run: inspectImage },
  { id: 'strata.copyContainerId', what: 'Copy container id', run: copyContainerId },
  { id: 'strata.renameContainer', what: 'Rename container', run: renameContainer },
  { id: 'strata.pruneContainers', what: 'Prune stopped containers', run: pruneContainers },
  { id: 'strata.showProcesses', what: 'Show processes', run: showProcesses },
  { id: 'strata.containerStats', what: 'Container stats', run: containerStats },
  { id: 'strata.refresh', what: 'Refresh', run: refresh },
  { id: 'strata.showLog', what: 'Show Strata log', run: showLog },
  { id: 'strata.checkStore', what: 'Check the store', run: checkStore },
  // Issue 10, part B, the rest: images, Browse Files, and the views' filter and sort.
  { id: 'strata.runImage', what: 'Run image', run: runImage },
  { id: 'strata.tagImage', what: 'Tag image', run: tagImage },
  { id: 'strata.copyImageId', what: 'Copy image id', run: copyImageId },
  { id: 'strata.copyImageTag', what: 'Copy full tag', run: copyImageTag },
  { id: 'strata.pruneImages', what: 'Prune dangling images', run: pruneImages },
  { id: 'strata.imageHistory', what: 'Image history', run: imageHistory },
  { id: 'strata.browseFiles', what: 'Browse files', run: browseFiles },
  { id: 'strata.openContainerFile', what: 'Open container file', run: openContainerFile },
  { id: 'strata.closeContainerFiles', what: 'Close container files', run: closeContainerFiles },
  { id: 'strata.filterImages', what: 'Filter images', run: filterImages },
  { id: 'strata.clearImagesFilter', what: 'Clear images filter', run: clearImagesFilter },
  { id: 'strata.sortImages', what: 'Sort images', run: sortImages },
  { id: 'strata.filterContainers', what: 'Filter containers', run: filterContainers },
  { id: 'strata.clearContainersFilter', what: 'Clear containers filter', run: clearContainersFilter },
  { id: 'strata.sortContainers', what: 'Sort containers', run: sortContainers },
  // Registries (issue 11).
  { id: 'strata.pushImage', what: 'Push image', run: pushImage },
  { id: 'strata.pullImage', what: 'Pull image', run: pullImage },
  // Images as files (issue 11): save-image.ts, load-image.ts.
  { id: 'strata.saveImage', what: 'Save image', run: saveImage },
  { id: 'strata.loadImage', what: 'Load images from an archive', run: loadImage },
];

export function registerCommands(s: Services): vscode.Disposable[] {
  return COMMANDS.map(({ id, what, run }) =>
    vscode.commands.registerCommand(id, wrap(s.errors, what, (...args: unknown[]) => {
      s.log.info(`command ${id}${args.length ? ` (${args.length} argument${args.length === 1 ? '' : 's'})` : ''}`);
      return run(s, ...args);
    })));
}
