/// <reference types="mocha" />
// The terminal profile opens a real shell in a new container: a command typed there runs there
// (its hostname is the container's short id), what it writes shows live in the container's
// changes, and "Commit container" makes a new image whose top layer holds exactly that file.
// Closing the terminal leaves the container running; "Open shell" attaches to it again.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerPty } from '../../extension/terminal/container-pty';
import type { LogsPty } from '../../extension/terminal/logs-pty';
import type { ChangeFileNode } from '../../extension/tree/change-nodes';
import type { ContainerNode } from '../../extension/tree/container-node';
import type { LayerNode } from '../../extension/tree/layer-node';
import { screenshot, viewRows } from './support/browser';
import { api, cli, cliLayerDiff, closeAllEditors, setSetting, sleep, waitFor, waitForDecoratedRow } from './support/strata';

async function readInContainer(id: string, path: string): Promise<string | undefined> {
  const client = await (await api()).helper.client();
  const f = await client.request('file.read', { version: { container: id }, path });
  return f.kind === 'file' ? Buffer.from(f.data ?? '', 'base64').toString('utf8') : undefined;
}

suite('terminal', () => {
  let terminal: vscode.Terminal;
  let pty: ContainerPty;
  let containerId: string;
  let short: string;

  suiteSetup(async () => {
    cli('busybox');
    await closeAllEditors();
    // A tidy workbench for the screenshots: the earlier suites' open folders and toasts go.
    await vscode.commands.executeCommand('strata.images.focus');
    await vscode.commands.executeCommand('workbench.actions.treeView.strata.images.collapseAll');
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  test('the "Strata container shell" profile opens a shell in a new container', async () => {
    const strata = await api();
    await setSetting('strata.defaultImage', 'busybox:latest');
    const opened = new Promise<vscode.Terminal>((resolve) => {
      const sub = vscode.window.onDidOpenTerminal((t) => { sub.dispose(); resolve(t); });
    });
    // What the terminal's + menu runs for a profile an extension contributes.
    await vscode.commands.executeCommand('workbench.action.terminal.newWithProfile', {
      config: { extensionIdentifier: 'strata.strata', id: 'strata.containerShell', title: 'Strata container shell' },
    });
    terminal = await opened;
    terminal.show();
    pty = await waitFor('the pty of the profile terminal', () => strata.shells.ptyOf(terminal));
    ({ containerId } = await pty.ready);
    short = containerId.slice(0, 12);
    assert.match(cli('ps'), new RegExp(`${short}\\s+busybox`));
    await waitFor('the prompt root@<short id>', () => pty.transcript().includes(`root@${short}:/#`));
  });

  test('a command typed in the terminal runs in the container, and its file shows live in the changes', async () => {
    const strata = await api();
    // Open the container's row first, so that the change arrives while the user watches.
    await vscode.commands.executeCommand('strata.containers.focus');
    strata.containers.refresh();
    const node = await waitFor('the container row', () => strata.containers.findContainer(containerId));
    await viewRows('Containers', { containing: short });
    // A reveal that lands while the view re-renders (the container's start refreshes the list) is
    // dropped by the workbench: ask again until the row is open.
    await waitFor('the container row open, showing no changes yet', async () => {
      await strata.containersView.reveal(node, { select: true, focus: false, expand: true });
      return (await viewRows('Containers', { containing: 'No changes yet', timeoutMs: 1000 })).some((r) => r.includes('No changes yet'));
    }, 15_000, 0);

    terminal.sendText('hostname > /who');
    const who = await waitFor('/who in the container', () => readInContainer(containerId, '/who'));
    assert.equal(who, `${short}\n`);
    assert.deepEqual(cli('diff', containerId).trim().split('\n'), ['A /who']);
    // Refreshed by itself: no refresh command was run.
    const rows = await viewRows('Containers', { containing: 'who' });
    assert.ok(rows.includes('who'), `rows: ${JSON.stringify(rows)}`);
    await waitForDecoratedRow('Containers', '/who');
    const kids = await (node as ContainerNode).children();
    assert.ok(kids.some((k) => k.treeItem().contextValue === 'change.file' && (k as ChangeFileNode).path === '/who' && (k as ChangeFileNode).mark === 'A'));
    terminal.sendText('ls --color=always /');
    await waitFor('ls output', () => pty.transcript().includes('who'));
    await sleep(300);
    await screenshot('terminal');
  });

  test('"Commit container" makes a new image whose top layer holds exactly that file', async () => {
    const strata = await api();
    const result = (await vscode.commands.executeCommand('strata.commitContainer', containerId, 'withwho:1', 'hostname into /who')) as { id: string; layer: string };
    assert.ok(result, `commit failed: ${JSON.stringify(strata.errors.recent)}`);
    assert.deepEqual(cliLayerDiff(result.layer), ['A /who']);
    // The Images view shows the new image with its new layer selected.
    const selected = strata.imagesView.selection[0] as LayerNode | undefined;
    assert.equal(selected?.layer?.id, result.layer);
    const rows = await viewRows('Images', { containing: 'hostname into /who' });
    assert.ok(rows.some((r) => r.startsWith('hostname into /who ')), `rows: ${JSON.stringify(rows)}`);
    await waitForDecoratedRow('Images', '/who');
    await screenshot('after-commit');
  });

  test('Ctrl-C interrupts, and the pty follows the terminal\'s size', async () => {
    pty.setDimensions({ columns: 97, rows: 31 });
    await sleep(200);
    terminal.sendText('stty size > /size');
    await waitFor('/size', async () => (await readInContainer(containerId, '/size')) === '31 97\n');
    terminal.sendText('sleep 30; echo not-interrupted');
    await sleep(500);
    terminal.sendText('\x03', false);
    terminal.sendText('echo interrupted > /ctrlc');
    await waitFor('/ctrlc written after Ctrl-C', () => readInContainer(containerId, '/ctrlc'), 5000);
  });

  test('closing the terminal leaves the container running; "Open shell" attaches again, or starts it again', async () => {
    const strata = await api();
    terminal.dispose();
    await sleep(500);
    const client = await strata.helper.client();
    assert.equal((await client.request('container.inspect', { id: containerId })).status, 'running');
    const node = await waitFor('the container row', () => strata.containers.findContainer(containerId));
    const again = (await vscode.commands.executeCommand('strata.openShell', node)) as { containerId: string; terminal: vscode.Terminal };
    assert.equal(again.containerId, containerId);
    again.terminal.sendText('echo again > /again');
    assert.equal(await waitFor('/again', () => readInContainer(containerId, '/again')), 'again\n');
    // Stop, start again through "Open shell", and remove: through the commands, without dialogs.
    await vscode.commands.executeCommand('strata.stopContainer', containerId);
    assert.equal((await client.request('container.inspect', { id: containerId })).status, 'exited');
    const restarted = (await vscode.commands.executeCommand('strata.openShell', { container: containerId })) as { terminal: vscode.Terminal };
    assert.equal((await client.request('container.inspect', { id: containerId })).status, 'running');
    restarted.terminal.sendText('cat /who > /still');
    assert.equal(await waitFor('/still', () => readInContainer(containerId, '/still')), `${short}\n`);
    await vscode.commands.executeCommand('strata.removeContainer', containerId, { force: true });
    await assert.rejects(client.request('container.inspect', { id: containerId }));
    await setSetting('strata.defaultImage', undefined);
  });

  test('"Show Logs" on a container: what it printed (stderr in red), each new line, and the end', async () => {
    const id = cli('run', '-d', 'busybox:latest', 'sh', '-c', 'echo logged-out; echo logged-err >&2; while [ ! -e /go ]; do sleep 0.05; done; echo after-go').trim();
    const strata = await api();
    strata.containers.refresh();
    const node = await waitFor('the container row', () => strata.containers.findContainer(id));
    const { pty, terminal } = (await vscode.commands.executeCommand('strata.showContainerLogs', node)) as { pty: LogsPty; terminal: vscode.Terminal };
    await waitFor('the logs so far', () => pty.transcript().includes('logged-out\r\n') && pty.transcript().includes(`\x1b[31mlogged-err\r\n`));
    assert.equal(pty.done, false, 'it follows while the container runs');
    cli('exec', id, 'touch', '/go');
    await waitFor('the line printed later, then the end', () => pty.done && pty.transcript().includes('after-go\r\n'));
    assert.ok(pty.transcript().indexOf('after-go') < pty.transcript().indexOf('its logs end here'));
    await vscode.commands.executeCommand('notifications.clearAll'); // the earlier test's, not this one's
    await screenshot('container-logs');
    terminal.dispose();
    cli('rm', id);
  });

  test('Pause, Unpause and Restart on a container row: the row says so, and so does strata ps', async () => {
    const id = cli('run', '-d', 'busybox:latest', 'sleep', '300').trim();
    const strata = await api();
    const row = async () => {
      strata.containers.refresh();
      return (await waitFor('the container row', () => strata.containers.findContainer(id))).treeItem();
    };
    try {
      await vscode.commands.executeCommand('strata.pauseContainer', id);
      assert.match(cli('ps'), new RegExp(`${id.slice(0, 12)}.*Up .*\\(Paused\\)`));
      await waitFor('the paused row', async () => (await row()).contextValue === 'container.paused');
      assert.match(String((await row()).description), /· paused, up /);
      await vscode.commands.executeCommand('strata.unpauseContainer', id);
      assert.doesNotMatch(cli('ps'), /\(Paused\)/);
      await waitFor('the running row', async () => (await row()).contextValue === 'container.running');
      const before = JSON.parse(cli('inspect', id))[0].State.StartedAt as string;
      await vscode.commands.executeCommand('strata.restartContainer', id);
      const after = JSON.parse(cli('inspect', id))[0];
      assert.equal(after.State.Status, 'running');
      assert.notEqual(after.State.StartedAt, before, 'started again');
    } finally {
      cli('rm', '-f', id);
    }
  });
});
