/// <reference types="mocha" />
// The extension activates and says in its log how long that took (the figures are npm run bench's,
// not an assertion: see support/timings.ts), and everything it contributes is there: the two views,
// every command, the terminal profile; and it reaches the real helper (VS Code runs as root here,
// so the helper is started directly).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { screenshot, viewRows, visibleRows } from './support/browser';
import { api, EXTENSION_ID, sleep, storeRoot, strataLog, waitFor } from './support/strata';
import { recordTiming } from './support/timings';

const COMMANDS = [
  'strata.importTarball', 'strata.openShell', 'strata.commitContainer', 'strata.openLayerChanges', 'strata.removeImage',
  'strata.removeContainer', 'strata.refresh', 'strata.showLog', 'strata.stopContainer', 'strata.revealLayer', 'strata.createBusyboxImage',
];

suite('activation', () => {
  test('the extension activates, and the Strata log says how long that took (figures for npm run bench)', async () => {
    const strata = await api();
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    const log = await waitFor('the activation line in the Strata log', () => {
      const text = strataLog(strata.logUri.fsPath);
      return text?.includes('activated in') ? text : undefined;
    });
    const line = /activated in ([\d.]+) ms \(evaluating the bundle before that: ([\d.]+) ms\)/.exec(log);
    assert.ok(line, `the log says how long activation took:\n${log}`);
    assert.deepEqual([line[1], line[2]], [strata.activationMs.toFixed(1), strata.loadMs.toFixed(1)], 'the log gives the figures the extension measured');
    recordTiming('activation', strata.activationMs, 'activate()');
    recordTiming('bundleLoad', strata.loadMs, 'evaluating dist/extension.js before activate()');
  });

  test('every command is registered and in the package manifest with category Strata', async () => {
    const all = await vscode.commands.getCommands(true);
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
    // And the other way round: nothing in the Command Palette answers "command not found".
    for (const { command } of manifest.commands as { command: string }[]) assert.ok(all.includes(command), `${command} is in package.json but not registered`);
    for (const id of COMMANDS) {
      assert.ok(all.includes(id), `${id} is not registered`);
      const entry = manifest.commands.find((c: { command: string }) => c.command === id);
      assert.equal(entry?.category, 'Strata', `${id} has no category Strata in package.json`);
      assert.match(entry.icon ?? '', /^\$\([a-z-]+\)$/, `${id} has no codicon`);
    }
  });

  test('the terminal profile and the walkthrough are contributed', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
    assert.deepEqual(manifest.terminal.profiles.map((p: { id: string; title: string }) => [p.id, p.title]), [['strata.containerShell', 'Strata container shell']]);
    assert.equal(manifest.walkthroughs[0].title, 'Understanding Docker, by seeing it');
  });

  test('the walkthrough opens on its first step', async () => {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', 'strata.strata#strata.understandingDocker', false);
    const steps = await visibleRows('.getting-started-step', { atLeast: 6, containing: 'Make an image' });
    assert.ok(steps.some((t) => t.includes('Make an image')), `steps: ${JSON.stringify(steps)}`);
    assert.ok(steps.some((t) => t.includes('Open the new layer')), `steps: ${JSON.stringify(steps)}`);
    await sleep(1500); // the step's markdown renders in a webview the rows cannot see into
    await screenshot('walkthrough');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the Images and Containers views show, and the helper is reached directly as root', async () => {
    const strata = await api();
    await vscode.commands.executeCommand('strata.images.focus');
    await strata.helper.client();
    assert.equal(strata.helper.state, 'connected');
    assert.equal(strata.helper.storeRoot, storeRoot());
    assert.match(strata.helper.describe, /^root/);
    // The empty store: the welcome with its two buttons.
    const welcome = await visibleRows('.welcome-view-content', { containing: 'No images yet' });
    assert.ok(welcome.some((t) => t.includes('Import a root filesystem tarball') && t.includes('Create the built-in busybox image')), `welcome: ${JSON.stringify(welcome)}`);
    const status = await visibleRows('.statusbar-item', { containing: 'Strata: root' });
    assert.ok(status.some((t) => t.includes('Strata: root')), `status bar: ${JSON.stringify(status)}`);
    assert.deepEqual(await viewRows('Images'), []);
    await vscode.commands.executeCommand('strata.containers.focus');
  });
});
