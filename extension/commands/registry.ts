// Every command of the extension, in one list: its id (as in package.json), what it does (for
// error messages), and its handler. Each handler takes optional arguments, so that keybindings,
// tasks and tests can run it without dialogs; each runs through wrap(), which reports errors.
import * as vscode from 'vscode';
import { checkStore } from './check-store';
import { commitContainer } from './commit-container';
import { pauseContainer, restartContainer, unpauseContainer } from './container-state';
import { createBusyboxImage } from './create-busybox';
import { importTarball } from './import-tarball';
import { openChange } from './open-change';
import { openLayerChanges } from './open-layer-changes';
import { openShell } from './open-shell';
import { refresh } from './refresh';
import { removeContainer } from './remove-container';
import { removeImage } from './remove-image';
import { revealLayer } from './reveal-layer';
import type { Services } from './services';
import { showContainerLogs } from './show-container-logs';
import { showLog } from './show-log';
import { stopContainer } from './stop-container';
import { wrap } from './wrap';

type Handler = (s: Services, ...args: unknown[]) => unknown;

export const COMMANDS: readonly { id: string; what: string; run: Handler }[] = [
  { id: 'strata.importTarball', what: 'Import a root filesystem tarball', run: importTarball },
  { id: 'strata.createBusyboxImage', what: 'Create the built-in busybox image', run: createBusyboxImage },
  { id: 'strata.openShell', what: 'Open shell in container', run: openShell },
  { id: 'strata.commitContainer', what: 'Commit container', run: commitContainer },
  { id: 'strata.openLayerChanges', what: 'Open Changes', run: openLayerChanges },
  { id: 'strata.openChange', what: 'Open the diff', run: openChange },
  { id: 'strata.revealLayer', what: 'Reveal in graph folder', run: revealLayer },
  { id: 'strata.removeImage', what: 'Remove image', run: removeImage },
  { id: 'strata.removeContainer', what: 'Remove container', run: removeContainer },
  { id: 'strata.stopContainer', what: 'Stop container', run: stopContainer },
  { id: 'strata.showContainerLogs', what: 'Show container logs', run: showContainerLogs },
  { id: 'strata.pauseContainer', what: 'Pause container', run: pauseContainer },
  { id: 'strata.unpauseContainer', what: 'Unpause container', run: unpauseContainer },
  { id: 'strata.restartContainer', what: 'Restart container', run: restartContainer },
  { id: 'strata.refresh', what: 'Refresh', run: refresh },
  { id: 'strata.showLog', what: 'Show log', run: showLog },
  { id: 'strata.checkStore', what: 'Check the store', run: checkStore },
];

export function registerCommands(s: Services): vscode.Disposable[] {
  return COMMANDS.map(({ id, what, run }) =>
    vscode.commands.registerCommand(id, wrap(s.errors, what, (...args: unknown[]) => {
      s.log.info(`command ${id}${args.length ? ` (${args.length} argument${args.length === 1 ? '' : 's'})` : ''}`);
      return run(s, ...args);
    })));
}
