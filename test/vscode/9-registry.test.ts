/// <reference types="mocha" />
// "Strata: Push Image…" and "Strata: Pull Image…" against a real registry (Debian's docker-registry
// on 127.0.0.1, started by this suite): where a user finds them, a push through the command with
// arguments (a progress notification per layer), a second push that sends nothing, then, with the
// image removed, a pull that brings back the same image id and shows it in the Images view.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Registry } from '../support/registry';
import { screenshot, viewRows } from './support/browser';
import { api, busyboxTar, cli, EXTENSION_ID, sleep, waitFor } from './support/strata';

suite('registry', () => {
  let registry: Registry;
  let dir: string;

  suiteSetup(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'strata-vscode-registry-'));
    registry = await Registry.start(join(dir, 'registry'));
    const tar = await busyboxTar((root) => writeFileSync(join(root, 'etc', 'pushed-from-vscode'), 'yes\n'));
    cli('import', tar, 'vsreg:1');
    rmSync(join(tar, '..'), { recursive: true, force: true });
  });
  suiteTeardown(async () => {
    try { cli('rmi', '-f', `${registry.host}/vsreg:1`); } catch { /* not pulled */ }
    try { cli('rmi', '-f', 'vsreg:1'); } catch { /* removed by the test */ }
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  setup(async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    await sleep(1000);
  });

  test('Push Image… is on an image row, Pull Image… in the palette, the Images view title menu and the empty view', async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    for (const id of ['strata.pushImage', 'strata.pullImage']) assert.ok(all.includes(id), `${id} is not registered`);
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
    const title = (id: string) => manifest.commands.find((c: { command: string }) => c.command === id)?.title;
    assert.equal(title('strata.pushImage'), 'Push Image…');
    assert.equal(title('strata.pullImage'), 'Pull Image…');
    assert.ok(manifest.menus['view/item/context'].some((m: { command: string; when: string }) => m.command === 'strata.pushImage' && m.when.includes('viewItem == image')));
    assert.ok(manifest.menus['view/title'].some((m: { command: string; when: string }) => m.command === 'strata.pullImage' && m.when === 'view == strata.images'));
    const welcome = manifest.viewsWelcome.find((w: { view: string; when: string }) => w.view === 'strata.images' && w.when === 'strata.helperState != failed');
    assert.match(welcome.contents, /\(command:strata\.pullImage\)/);
  });

  test('push with arguments: the layer goes up, a second push sends nothing; pulled back after rmi: the same image id, in the Images view', async function () {
    this.timeout(120_000);
    await api();
    await vscode.commands.executeCommand('strata.images.focus');
    const target = `${registry.host}/vsreg:1`;
    const id = cli('images', '-q', '--no-trunc', 'vsreg:1').trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const first = await vscode.commands.executeCommand<{ digest: string; pushed: number; existed: number }>('strata.pushImage', 'vsreg:1', target);
    assert.ok(first, 'the push returned its result');
    assert.equal(first.pushed, 1);
    await screenshot('registry-pushed');
    const again = await vscode.commands.executeCommand<{ digest: string; pushed: number; existed: number }>('strata.pushImage', 'vsreg:1', target);
    assert.equal(again?.pushed, 0, 'the second push sends no layer');
    assert.equal(again?.digest, first.digest, 'and writes the same manifest');
    cli('rmi', 'vsreg:1', target);
    assert.doesNotMatch(cli('images'), /vsreg/);
    const pulled = await vscode.commands.executeCommand<{ id: string; pulled: number }>('strata.pullImage', target);
    assert.equal(pulled?.id, id, 'the same image id');
    assert.equal(pulled?.pulled, 1);
    const rows = await waitFor('the pulled image in the Images view', async () => {
      const r = await viewRows('Images', { containing: 'vsreg' });
      return r.some((t) => t.includes(`${registry.host}/vsreg`)) ? r : undefined;
    }, 20_000);
    assert.ok(rows.some((t) => t.includes(`${registry.host}/vsreg`)), JSON.stringify(rows));
    await screenshot('registry-pulled');
    assert.equal(cli('run', '--rm', target, 'cat', '/etc/pushed-from-vscode').trim(), 'yes');
  });
});
