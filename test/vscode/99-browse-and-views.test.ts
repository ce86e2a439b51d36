/// <reference types="mocha" />
// Issue 10, part B, the rest: Browse Files (a container's whole file system as a read-only tree, a
// file opening in the editor and a changed one as its diff), the views' filter, sort and Collapse
// All, the helper's state in the view's message when it cannot be reached, and error toasts whose
// button names the command "Show Strata Log".
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerNode } from '../../extension/tree/container-node';
import type { FileEntryNode } from '../../extension/tree/files-provider';
import type { TreeNode } from '../../extension/tree/node';
import { click, press, screenshot, visibleRows, viewRows, viewRowsSelector } from './support/browser';
import { keyCommand, menu, rowMenu } from './support/menus';
import { api, cli, closeAllEditors, EXTENSION_ID, setSetting, sleep, waitFor } from './support/strata';

const names = (nodes: TreeNode[]) => nodes.map((n) => String(n.treeItem().label));

suite('browse files, filter, sort', () => {
  const made: string[] = [];
  let id = '';

  suiteSetup(async function () {
    this.timeout(60_000);
    cli('busybox');
    id = cli('run', '-d', '--name', 'browsed', 'busybox:latest', 'sh', '-c', 'echo "changed" >> /etc/motd; echo new > /new.txt; echo ready > /ready; sleep 300').trim();
    made.push(id);
    await waitFor('the container\'s writes', () => /A \/ready/.test(cli('diff', id)));
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    for (const c of made) { try { cli('rm', '-f', c); } catch { /* gone */ } }
  });

  test('Browse Files is on every container row; the file rows open files', () => {
    for (const row of ['container.running', 'container.exited', 'container.created']) assert.ok(rowMenu('strata.containers', row).includes('strata.browseFiles'), row);
    assert.ok(!rowMenu('strata.images', 'image').includes('strata.browseFiles'));
    const palette = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus.commandPalette as { command: string; when: string }[];
    assert.ok(palette.some((i) => i.command === 'strata.openContainerFile' && i.when === 'false'), 'openContainerFile (it takes a path) is hidden from the palette');
    assert.ok(menu('commandPalette', { 'strata.browsing': true }).some((i) => i.command === 'strata.closeContainerFiles'));
  });

  test('Browse Files: the merged file system, folder by folder from the helper; a file opens, a changed one as its diff', async () => {
    const strata = await api();
    const result = (await vscode.commands.executeCommand('strata.browseFiles', id)) as { id: string; name: string };
    assert.equal(result.name, 'browsed');
    const files = strata.containerFiles;
    const top = (await files.getChildren()) as FileEntryNode[];
    const inside = cli('exec', id, 'ls', '-a', '/').split('\n').filter((n) => n && n !== '.' && n !== '..');
    assert.deepEqual(names(top).sort(), inside.sort(), 'the top level is what ls / in the container says');
    assert.ok(names(top).indexOf('etc') < names(top).indexOf('new.txt'), 'folders first');
    const etc = top.find((n) => n.entry.name === 'etc')!;
    const etcKids = (await etc.children()) as FileEntryNode[];
    // /etc/hostname and /etc/resolv.conf are the runtime's bind mounts, in no layer.
    const etcInside = cli('exec', id, 'ls', '-a', '/etc').split('\n').filter((n) => n && n !== '.' && n !== '..' && n !== 'hostname' && n !== 'resolv.conf');
    assert.deepEqual(names(etcKids).sort(), etcInside.sort());
    const motd = etcKids.find((n) => n.entry.name === 'motd')!;
    const item = motd.treeItem();
    assert.deepEqual(item.command?.arguments, [id, '/etc/motd'], 'a click opens it');
    assert.equal(strata.decorations.provideFileDecoration(item.resourceUri!)?.badge, 'M', 'a changed file carries its letter');
    assert.equal(strata.decorations.provideFileDecoration(etcKids.find((n) => n.entry.name === 'passwd')!.treeItem().resourceUri!), undefined, 'an unchanged one none');
    // Rows a user sees.
    await strata.containerFilesView.reveal(etc, { expand: true, select: false });
    const rows = await viewRows('Container Files', { containing: 'passwd' });
    assert.ok(rows.includes('etc') && rows.some((r) => r.startsWith('passwd ')) && rows.some((r) => r.startsWith('motd ')), `rows: ${JSON.stringify(rows)}`);
    // An unchanged file opens read-only in the editor, its bytes the container's.
    const plain = (await vscode.commands.executeCommand('strata.openContainerFile', id, '/etc/passwd')) as { diff: boolean };
    assert.equal(plain.diff, false);
    const editor = await waitFor('the editor', () => (vscode.window.activeTextEditor?.document.uri.path === '/etc/passwd' ? vscode.window.activeTextEditor : undefined));
    assert.equal(editor.document.getText(), cli('exec', id, 'cat', '/etc/passwd'));
    assert.equal(editor.document.uri.scheme, 'strata-container');
    // A changed one opens as its diff against the image.
    const changed = (await vscode.commands.executeCommand('strata.openContainerFile', id, '/etc/motd')) as { diff: boolean; mark: string };
    assert.deepEqual(changed, { diff: true, mark: 'M' });
    const tab = await waitFor('the diff tab', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff && input.modified.path === '/etc/motd' ? input : undefined;
    });
    assert.equal(tab.original.scheme, 'strata-image');
    assert.ok(files.requests >= 2, 'each folder is a request to the helper');
    await sleep(500);
    await screenshot('browse-files');
  });

  test('Restart, Pause/Unpause and Remove are on the right rows; Delete on a running container asks to stop it, then removes it forced', async function () {
    this.timeout(90_000);
    const running = rowMenu('strata.containers', 'container.running');
    const paused = rowMenu('strata.containers', 'container.paused');
    const exited = rowMenu('strata.containers', 'container.exited');
    assert.ok(running.includes('strata.pauseContainer') && !paused.includes('strata.pauseContainer') && !exited.includes('strata.pauseContainer'), 'Pause on a running container only');
    assert.ok(paused.includes('strata.unpauseContainer') && !running.includes('strata.unpauseContainer'), 'Unpause on a paused one only');
    for (const rows of [running, paused, exited]) assert.ok(rows.includes('strata.restartContainer') && rows.includes('strata.removeContainer'));
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.containers', 'strata.containersSelected': 'container.running' }), ['strata.removeContainer']);
    const strata = await api();
    const doomed = cli('run', '-d', '--name', 'doomed_running', 'busybox:latest', 'sleep', '300').trim();
    made.push(doomed);
    strata.containers.refresh();
    await vscode.commands.executeCommand('strata.containers.focus');
    await viewRows('Containers', { containing: 'doomed_running' });
    const asked = new Promise<string>((resolve) => {
      const sub = strata.errors.onDidReport((e) => { sub.dispose(); resolve(e.message); });
    });
    // As a user: a click on the row, then the Delete key. The tree refreshes around the click (the
    // new container, its changes): the key must work all the same (it once did nothing when a
    // refresh's selection event came with no rows while the row stayed selected).
    await click(viewRowsSelector('Containers'), 'doomed_running');
    await waitFor('the row selected', () => strata.containersView.selection.some((n) => (n as ContainerNode).summary?.id === doomed));
    await sleep(300);
    await press('Delete');
    const message = await Promise.race([asked, sleep(10_000).then(() => undefined)]);
    assert.ok(message !== undefined, 'Delete on the selected running container asked nothing within 10 s');
    // VS Code refuses modal dialogs under test, and says what the dialog held.
    assert.match(message, new RegExp(`Contents: Container ${doomed.slice(0, 12)} is running\\. Stop it and remove it, with its changes\\?`));
    assert.equal(JSON.parse(cli('inspect', doomed))[0].State.Status, 'running', 'nothing done before the answer');
    await vscode.commands.executeCommand('strata.removeContainer', doomed, { force: true });
    assert.ok(!cli('ps', '-a', '-q').includes(doomed.slice(0, 12)), 'removed');
  });

  test('Filter… shows only matching rows and says so in the view\'s description; Clear Filter shows all again', async () => {
    try {
      const strata = await api();
      const other = cli('create', '--name', 'unrelated_one', 'busybox:latest', 'true').trim();
      made.push(other);
      strata.containers.refresh();
      await strata.containers.rows();
      assert.ok(!menu('view/title', { view: 'strata.containers', 'strata.containersFiltered': false }).some((i) => i.command === 'strata.clearContainersFilter'), 'no Clear Filter without a filter');
      await vscode.commands.executeCommand('strata.filterContainers', 'BROWS');
      const shown = await strata.containers.getChildren() as ContainerNode[];
      assert.deepEqual(shown.map((n) => n.summary.name), ['browsed'], 'case-insensitive, by name');
      const total = (await strata.containers.rows()).length;
      assert.equal(strata.containersView.description, 'filter: "BROWS"');
      assert.equal(strata.containersView.message, `1 of ${total} containers: those whose name contains "BROWS". Clear Filter shows all.`);
      assert.ok(menu('view/title', { view: 'strata.containers', 'strata.containersFiltered': true }).some((i) => i.command === 'strata.clearContainersFilter'));
      await vscode.commands.executeCommand('strata.containers.focus');
      // The view re-renders after the command returns: wait for the rows on screen to follow.
      let rows: string[] = [];
      await waitFor('only the matching container\'s row on screen', async () => {
        rows = await viewRows('Containers', { atLeast: 1 });
        return rows.every((r) => r.startsWith('browsed') || !/^\S+ busybox/.test(r));
      }).catch((e: Error) => { throw new Error(`${e.message}; rows: ${JSON.stringify(rows)}`); });
      await waitFor('the message above the rows', async () => (await visibleRows('.message', { containing: 'contains "BROWS"' })).length > 0);
      await screenshot('views-filter');
      await vscode.commands.executeCommand('strata.filterContainers', 'no-such-thing');
      await strata.containers.getChildren();
      assert.equal(strata.containersView.message, `No containers match "no-such-thing". Clear Filter shows all ${total}.`);
      await vscode.commands.executeCommand('strata.clearContainersFilter');
      assert.equal((await strata.containers.getChildren()).length, total);
      assert.equal(strata.containersView.description, undefined);
      assert.equal(strata.containersView.message, undefined);
    } finally {
      // A failure above must not leave the filter on for the tests after this one.
      await vscode.commands.executeCommand('strata.clearContainersFilter');
    }
  });

  test('sorting: newest first by default, by name with the setting (Sort Containers…)', async () => {
    const strata = await api();
    const created = (await strata.containers.getChildren() as ContainerNode[]).map((n) => n.summary.created);
    assert.deepEqual(created, [...created].sort().reverse(), 'newest first');
    await vscode.commands.executeCommand('strata.sortContainers', 'name');
    try {
      const byName = await waitFor('sorted by name', async () => {
        const list = (await strata.containers.getChildren() as ContainerNode[]).map((n) => n.summary.name);
        return strata.containersView.description === 'by name' ? list : undefined;
      });
      assert.deepEqual(byName, [...byName].sort((a, b) => a.localeCompare(b)));
    } finally {
      await vscode.commands.executeCommand('strata.sortContainers', 'newest');
      await setSetting('strata.containers.sortBy', undefined);
    }
  });

  test('Collapse All is in both views\' title bars', async () => {
    for (const view of ['strata.images', 'strata.containers', 'strata.files']) {
      await vscode.commands.executeCommand(`workbench.actions.treeView.${view}.collapseAll`);
    }
  });

  test('an error toast\'s button names the command: "Show Strata Log"', async () => {
    const strata = await api();
    await vscode.commands.executeCommand('notifications.clearAll');
    await sleep(1000);
    const got = new Promise<{ message: string; actions: string[] }>((resolve) => {
      const sub = strata.errors.onDidReport((e) => { sub.dispose(); resolve(e); });
    });
    await vscode.commands.executeCommand('strata.inspectImage', 'no-such-image:1');
    const reported = await got;
    assert.deepEqual(reported.actions, ['Show Strata Log']);
    const toasts = await visibleRows('.notification-toast', { containing: 'no-such-image' });
    const toast = toasts.find((t) => t.includes('no-such-image'));
    assert.ok(toast?.includes('Show Strata Log') && !/Show Log\b/.test(toast), `toast: ${toast}`);
  });

  test('a helper that cannot be reached: the views\' message says so and why', async () => {
    const strata = await api();
    await setSetting('strata.helper.launch', 'socket');
    await setSetting('strata.helper.socket', '/nonexistent/strata.sock');
    try {
      await vscode.commands.executeCommand('strata.refresh').then(undefined, () => undefined);
      await waitFor('the helper failed', () => strata.helper.state === 'failed');
      await strata.containers.getChildren();
      await strata.images.getChildren();
      for (const view of [strata.containersView, strata.imagesView]) {
        assert.match(view.message ?? '', /^Strata helper not reachable: socket: .*\/nonexistent\/strata\.sock.*\. Run 'Strata: Show Strata Log' for details/);
      }
      await vscode.commands.executeCommand('strata.containers.focus');
      await waitFor('the message shown', async () => (await visibleRows('.message', { containing: 'not reachable' })).length > 0);
      await screenshot('views-helper-unreachable');
    } finally {
      await setSetting('strata.helper.launch', undefined);
      await setSetting('strata.helper.socket', undefined);
    }
    await vscode.commands.executeCommand('strata.refresh');
    await waitFor('the helper again', () => strata.helper.state === 'connected');
    await strata.containers.getChildren();
    assert.equal(strata.containersView.message, undefined);
  });
});
