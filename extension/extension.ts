// activate(): wiring only. Nothing here waits for the helper: it is reached the first time a
// view or a command needs it, so activation stays in the tens of milliseconds (measured below
// and written to the "Strata" log). Every disposable goes into context.subscriptions.
// First: the clock that times loading the rest of the bundle.
import { loadStart } from './load-clock';
import * as vscode from 'vscode';
import { Helper } from './client/helper';
import { CONNECTION_SETTINGS } from './client/settings';
import { createStatusItem } from './client/status';
import { registerCommands } from './commands/registry';
import type { Services } from './commands/services';
import { pickImage } from './commands/targets';
import { ErrorReporter } from './commands/wrap';
import { ChangesCache } from './diff/changes';
import { ChangeDecorations } from './diff/decorations';
import { StrataFileSystem } from './diff/fs-provider';
import { CONTAINER_SCHEME, IMAGE_SCHEME, LAYER_SCHEME } from './diff/uris';
import { INSPECT_SCHEME, InspectProvider } from './inspect/inspect-provider';
import { PROFILE_ID, ShellProfileProvider, Shells } from './terminal/shells';
import { ContainersProvider } from './tree/containers-provider';
import { ImagesProvider } from './tree/images-provider';
import { FilesProvider } from './tree/files-provider';
import { buildRecords } from './tree/build-records';
import { trackWalkthrough } from './walkthrough';

// The rest of the bundle has loaded once this line runs (imports are evaluated first).
const moduleLoaded = performance.now();

export function activate(context: vscode.ExtensionContext) {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Strata', { log: true });
  const helper = new Helper(context.extensionPath, log);
  const errors = new ErrorReporter(log);
  const changes = new ChangesCache(helper);
  const images = new ImagesProvider(helper, changes);
  const containers = new ContainersProvider(helper, changes);
  const imagesView = vscode.window.createTreeView('strata.images', { treeDataProvider: images, showCollapseAll: true });
  const containersView = vscode.window.createTreeView('strata.containers', { treeDataProvider: containers, showCollapseAll: true });
  const containerFiles = new FilesProvider(helper, changes);
  const containerFilesView = vscode.window.createTreeView('strata.files', { treeDataProvider: containerFiles, showCollapseAll: true });
  images.attach(imagesView);
  containers.attach(containersView);
  const shells = new Shells(helper, (err) => errors.report(err, 'Open shell in container'));
  const fs = new StrataFileSystem(helper, changes);
  const decorations = new ChangeDecorations(changes);
  buildRecords.init(context.globalState);
  const services: Services = { context, log, helper, changes, images, imagesView, containers, containersView, shells, errors, files: fs.files, containerFiles, containerFilesView };
  images.onError = (err) => errors.report(err, 'List images');
  containers.onError = (err) => errors.report(err, 'List containers');
  let reconnectTimer: NodeJS.Timeout | undefined;

  context.subscriptions.push(
    log, helper, errors, changes, images, containers, imagesView, containersView, containerFiles, containerFilesView, shells, fs, decorations,
    vscode.workspace.registerFileSystemProvider(LAYER_SCHEME, fs, { isReadonly: true, isCaseSensitive: true }),
    vscode.workspace.registerFileSystemProvider(CONTAINER_SCHEME, fs, { isReadonly: true, isCaseSensitive: true }),
    vscode.workspace.registerFileSystemProvider(IMAGE_SCHEME, fs, { isReadonly: true, isCaseSensitive: true }),
    vscode.window.registerFileDecorationProvider(decorations),
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, new InspectProvider(helper)),
    vscode.window.registerTerminalProfileProvider(PROFILE_ID, new ShellProfileProvider(shells, () => pickImage(services, 'Open a shell in a new container from which image?'))),
    createStatusItem(helper),
    trackWalkthrough(helper),
    ...registerCommands(services),
    // The selected row's contextValue, for keybindings (Delete, F2): VS Code gives `viewItem` to
    // menus only, so a key's `when` reads these instead. A refresh can fire a selection event
    // with no rows while the row stays selected on screen (its handle is being re-resolved): that
    // sets '' ("not known"), on which the keys still run, and the command reads the view's
    // selection then (or asks). Only a row of another kind (a layer, a change) turns them off.
    imagesView.onDidChangeSelection((e) => void vscode.commands.executeCommand('setContext', 'strata.imagesSelected', e.selection[0]?.treeItem().contextValue ?? '')),
    containersView.onDidChangeSelection((e) => void vscode.commands.executeCommand('setContext', 'strata.containersSelected', e.selection[0]?.treeItem().contextValue ?? '')),
    helper.onDidChangeStore((e) => {
      if (e.what === 'containers') containers.refresh();
      else images.refresh();
    }),
    helper.onDidChangeState((state) => {
      // Connected, failed, or lost: what the views show follows (a list, or their welcome).
      if (state !== 'connecting') {
        images.refresh();
        containers.refresh();
      }
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Sorting and grouping: the rows are arranged again (no new listing is needed, but it is cheap).
      if (e.affectsConfiguration('strata.images')) images.refresh();
      if (e.affectsConfiguration('strata.containers')) containers.refresh();
      if (!CONNECTION_SETTINGS.some((key) => e.affectsConfiguration(key))) return;
      // Settings often change together (launch and socket): connect again once they have settled.
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(() => {
        // A connection (or a failed attempt) already made with the new settings, e.g. by a Refresh
        // meanwhile, stands: resetting it would throw away its answer and show an empty view.
        if (!helper.settingsChanged()) return;
        log.info('connection settings changed: connecting again');
        helper.reset();
      }, 250);
    }),
    { dispose: () => clearTimeout(reconnectTimer) },
  );
  void vscode.commands.executeCommand('setContext', 'strata.helperState', helper.state);

  const activationMs = performance.now() - started;
  // Our own time: evaluating the bundle, then activate(). (What VS Code does in between, such as
  // making the ExtensionContext, is not ours and not counted.)
  const loadMs = moduleLoaded - loadStart;
  log.info(`activated in ${activationMs.toFixed(1)} ms (evaluating the bundle before that: ${loadMs.toFixed(1)} ms)`);

  // For tests and for other extensions: the trees and the client, read-only in spirit.
  return { services, containerFiles, containerFilesView, activationMs, loadMs, logUri: context.logUri, helper, images, containers, imagesView, containersView, shells, errors, decorations, fs };
}

export type StrataApi = ReturnType<typeof activate>;

export function deactivate(): void {}
