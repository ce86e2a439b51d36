/// <reference types="mocha" />
// "Strata: Create Image with debootstrap…": where a user finds it, a progress notification with the
// stage and a Cancel that keeps nothing, then a real minbase bookworm that appears in the Images view
// with its layer made by debootstrap. The .debs come from the integration test's cache when there
// is one (test/integration/debootstrap.test.ts), and go back to it.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LayerNode } from '../../extension/tree/layer-node';
import { outerHTML, screenshot, viewRows, visibleRows } from './support/browser';
import { api, cli, EXTENSION_ID, sleep, storeRoot, waitFor } from './support/strata';

const ID = 'strata.createDebootstrapImage';
const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const CACHE = join(tmpdir(), 'strata-test-debootstrap-cache', `bookworm-${ARCH}`);
const storeCache = () => join(storeRoot(), 'cache', 'debootstrap', `bookworm-${ARCH}`);

/** Processes whose command line names the store's staging area (debootstrap, dpkg in its target). */
function processesOnStore(): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`${storeRoot()}/tmp/`));
}

suite('debootstrap', () => {
  suiteSetup(() => {
    mkdirSync(storeCache(), { recursive: true, mode: 0o700 });
    if (existsSync(CACHE)) cpSync(CACHE, storeCache(), { recursive: true, preserveTimestamps: true });
  });
  suiteTeardown(() => {
    if (existsSync(storeCache())) cpSync(storeCache(), CACHE, { recursive: true, preserveTimestamps: true });
  });
  setup(async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    await sleep(1000); // the workbench shows at most 3 new toasts per 800 ms
  });

  test('the command is in the Command Palette, the Images view title menu, the empty view and the walkthrough', async () => {
    await api();
    assert.ok((await vscode.commands.getCommands(true)).includes(ID), `${ID} is not registered`);
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
    const entry = manifest.commands.find((c: { command: string }) => c.command === ID);
    assert.equal(`${entry.category}: ${entry.title}`, 'Strata: Create Image with debootstrap…');
    assert.ok(!manifest.menus.commandPalette.some((m: { command: string }) => m.command === ID), 'not hidden from the palette');
    assert.ok(manifest.menus['view/title'].some((m: { command: string; when: string }) => m.command === ID && m.when === 'view == strata.images'));
    const welcome = manifest.viewsWelcome.find((w: { view: string; when: string }) => w.view === 'strata.images' && w.when === 'strata.helperState != failed');
    assert.match(welcome.contents, /\[Create an image with debootstrap\]\(command:strata\.createDebootstrapImage\)/);
    const step = manifest.walkthroughs[0].steps[0];
    assert.match(step.description, /\(command:strata\.createDebootstrapImage\)/);
    assert.ok(step.completionEvents.includes(`onCommand:${ID}`));
  });

  test('its progress notification shows the stage with its count, and Cancel stops debootstrap and keeps nothing', async function () {
    this.timeout(300_000);
    const strata = await api();
    await vscode.commands.executeCommand('strata.images.focus');
    const cancel = new vscode.CancellationTokenSource();
    const running = vscode.commands.executeCommand(ID, 'bookworm', 'minbase', 'deb12-cancelled', cancel.token);
    // The extracting stage starts with a line of its own ("Chosen extractor ..."), then counts: wait for a count.
    let seen: string[] = [];
    const counted = /extracting \d+\/\d+: Extracting /;
    await waitFor('the extracting stage with its count in the toast', async () => {
      seen = await visibleRows('.notification-toast', { containing: 'extracting', timeoutMs: 240_000 });
      return seen.some((t) => t.includes('debootstrap bookworm') && counted.test(t));
    }, 240_000).catch(() => undefined);
    assert.ok(seen.some((t) => t.includes('debootstrap bookworm') && counted.test(t)), `toasts: ${JSON.stringify(seen)}`);
    assert.ok((await outerHTML('.notification-toast')).some((h) => /Cancel/.test(h)), 'the notification has a Cancel button');
    await screenshot('debootstrap-progress');
    assert.ok(processesOnStore().some((l) => l.includes('/usr/sbin/debootstrap')), 'debootstrap runs');
    cancel.cancel();
    assert.equal(await running, undefined, 'a cancelled command returns nothing');
    assert.deepEqual(processesOnStore(), [], 'no process of it is left');
    assert.deepEqual(readdirSync(join(storeRoot(), 'tmp')), [], 'nothing is left in tmp/');
    assert.doesNotMatch(cli('images'), /deb12-cancelled/);
    assert.equal(strata.errors.recent.filter((e) => e.what.includes('debootstrap')).length, 0, 'a cancel is not reported as an error');
    await visibleRows('.notification-toast', { containing: 'cancelled; nothing was kept' });
  });

  test('with arguments it makes the image, from the cache, and the Images view shows it with its layer made by debootstrap', async function () {
    this.timeout(300_000);
    const strata = await api();
    const result = (await vscode.commands.executeCommand(ID, 'bookworm', 'minbase', 'deb12:vscode')) as { id: string; layer: string; packages: number; downloaded: number } | undefined;
    assert.ok(result, `the command returned nothing; errors: ${JSON.stringify(strata.errors.recent)}`);
    assert.equal(result.downloaded, 0, `every .deb was in the store's cache (${result.packages} packages)`);
    assert.match(cli('run', '--rm', 'deb12:vscode', 'cat', '/etc/debian_version'), /^12\.\d+\n$/);

    const image = await waitFor('the image in the tree', async () => (await strata.images.images()).find((n) => n.imageId === result.id));
    assert.equal(image.treeItem().label, 'deb12:vscode');
    const layers = (await image.children()) as LayerNode[];
    assert.equal(layers.length, 1);
    // A layer's row leads with what made it, then its size; its ids are in its hover.
    const item = layers[0].treeItem();
    // (cut at 60 characters with an ellipsis; the whole command is in the hover)
    assert.equal(String(item.label ?? ''), 'debootstrap --variant=minbase bookworm http://deb.debian.or…');
    assert.ok((item.tooltip as vscode.MarkdownString).value.includes('debootstrap --variant=minbase bookworm http://deb.debian.org/debian'));
    assert.match(String(item.description), /^\d+(\.\d+)? MB · /);
    assert.ok((item.tooltip as vscode.MarkdownString).value.includes(result.layer), 'the layer id in the hover');
    const rows = await viewRows('Images', { containing: 'debootstrap --variant' });
    assert.ok(rows.some((r) => r.startsWith('deb12:vscode ')), `rows: ${JSON.stringify(rows)}`);
    assert.ok(rows.some((r) => r.startsWith('debootstrap --variant=minbase bookworm')), `rows: ${JSON.stringify(rows)}`);
    await screenshot('images-after-debootstrap');
  });
});
