/// <reference types="mocha" />
// Errors reach the user as messages that say what to do, never as silent failures: a tarball that
// is not one, and a helper that cannot be reached (the views then say so in their message, with why).
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { screenshot, visibleRows } from './support/browser';
import { api, setSetting, sleep, storeRoot, strataLog, waitFor } from './support/strata';

async function nextError(run: () => Thenable<unknown>): Promise<string> {
  const strata = await api();
  const got = new Promise<string>((resolve) => {
    const sub = strata.errors.onDidReport((e) => { sub.dispose(); resolve(e.message); });
  });
  const result = await run();
  assert.equal(result, undefined, 'a failed command returns nothing');
  return got;
}

suite('errors', () => {
  setup(async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    // The workbench shows at most 3 new toasts per 800 ms (the rest go to the notification center
    // only); the earlier suites' last notifications must not use up this test's share.
    await sleep(1000);
  });

  test('a file that is not a tarball: the import fails with a message', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'strata-bad-')), 'bad.tar');
    writeFileSync(file, 'this is not a tar archive, just some words that are long enough to fill a block. '.repeat(20));
    const message = await nextError(() => vscode.commands.executeCommand('strata.importTarball', vscode.Uri.file(file), 'bad:1'));
    assert.match(message, /^Strata: Import a root filesystem tarball failed: .+/);
    const toasts = await visibleRows('.notification-toast', { containing: 'Import a root filesystem tarball failed' });
    assert.ok(toasts.some((t) => t.includes('failed')), `toasts: ${JSON.stringify(toasts)}`);
    // The progress notification stays its minimum 800 ms; the screenshot shows the error alone.
    await waitFor('the import progress to close', async () => (await visibleRows('.notification-toast')).every((t) => !t.includes('Importing')), 5000);
    await screenshot('error-bad-tar');
  });

  test('a helper that cannot be reached: a message saying what to do, the status bar, the view\'s message', async () => {
    const strata = await api();
    await setSetting('strata.helper.launch', 'socket');
    await setSetting('strata.helper.socket', '/nonexistent/strata.sock');
    try {
      const message = await nextError(() => vscode.commands.executeCommand('strata.refresh'));
      assert.match(message, /no helper is listening on \/nonexistent\/strata\.sock/);
      assert.match(message, /sudo node \S*dist\/helper\.js --socket \/nonexistent\/strata\.sock/);
      assert.equal(strata.helper.state, 'failed');
      await vscode.commands.executeCommand('strata.images.focus');
      const status = await visibleRows('.statusbar-item', { containing: 'Strata: no helper' });
      assert.ok(status.some((t) => t.includes('no helper')), `status bar: ${JSON.stringify(status)}`);
      // The view's message (which VS Code shows in place of the welcome): not reachable, why, where to look.
      const shown = await visibleRows('.message', { containing: 'not reachable' });
      assert.ok(shown.some((t) => t.includes('Strata helper not reachable: socket: ') && t.includes('Show Strata Log')), `view message: ${JSON.stringify(shown)}`);
      await visibleRows('.notification-toast', { containing: 'nonexistent' });
      await screenshot('error-no-helper');
      // A command that needs the helper says the same, rather than doing nothing.
      const again = await nextError(() => vscode.commands.executeCommand('strata.createBusyboxImage'));
      assert.match(again, /cannot reach its helper/);
    } finally {
      await setSetting('strata.helper.launch', undefined);
      await setSetting('strata.helper.socket', undefined);
    }
    await vscode.commands.executeCommand('strata.refresh');
    await waitFor('the helper again', () => strata.helper.state === 'connected');
    assert.ok((await strata.images.images()).length > 0);
  });

  test('a helper run as a service is reached through strata.helper.socket, and the status bar says so', async () => {
    const strata = await api();
    await setSetting('strata.helper.launch', 'socket');
    await setSetting('strata.helper.socket', join(storeRoot(), 'helper.sock'));
    try {
      await vscode.commands.executeCommand('strata.refresh');
      await waitFor('the helper through its socket', () => strata.helper.state === 'connected' && strata.helper.describe.startsWith('socket'));
      assert.ok((await strata.images.images()).length > 0);
      const status = await visibleRows('.statusbar-item', { containing: 'Strata: socket' });
      assert.ok(status.some((t) => t.includes('Strata: socket')), `status bar: ${JSON.stringify(status)}`);
    } finally {
      await setSetting('strata.helper.launch', undefined);
      await setSetting('strata.helper.socket', undefined);
    }
    await waitFor('the helper started directly again', async () => (await strata.helper.client()) && strata.helper.describe.startsWith('root'));
  });

  test('sudo that cannot run the helper: the message names the command to allow', async () => {
    const strata = await api();
    await setSetting('strata.helper.launch', 'sudo');
    try {
      const message = await nextError(() => vscode.commands.executeCommand('strata.refresh'));
      assert.match(message, /^Strata cannot reach its helper \(sudo: .+\)\. Strata needs root to run containers: allow `sudo -n \S+ \S+dist\/helper\.js --root \S+ --connect`/);
    } finally {
      await setSetting('strata.helper.launch', undefined);
    }
    await vscode.commands.executeCommand('strata.refresh');
    await waitFor('the helper again', () => strata.helper.state === 'connected');
  });

  test('the "Strata" log records every request, how it ended, and the errors', async () => {
    const strata = await api();
    // A log output channel writes to a file in the extension's log folder.
    const text = await waitFor('the Strata log file', () => strataLog(strata.logUri.fsPath));
    for (const line of [/activated in [\d.]+ ms/, /→ images\.list \{\}/, /← images\.list ok \(\d+ ms\)/, /✗ image\.import BadArchive: /, /→ container\.commit /, /no helper is listening on \/nonexistent\/strata\.sock/]) {
      assert.match(text, line);
    }
    await vscode.commands.executeCommand('strata.showLog');
  });
});
