/// <reference types="mocha" />
// Images as files in VS Code (issue 11): "Save Image…" writes the archive the extension receives
// raw from the helper (the helper never writes at the user's path), "Load Image from Archive…"
// reads it back (and an OCI layout folder), with the same image id; both are in the menus where a
// user looks for them (the image's context menu, the Images view's title menu, the empty view's
// welcome).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { screenshot, viewRows } from './support/browser';
import { api, busyboxTar, cli, EXTENSION_ID, waitFor } from './support/strata';

interface Menu { command: string; when?: string; group?: string }

suite('save and load', () => {
  let work: string;
  suiteSetup(() => { work = mkdtempSync(join(tmpdir(), 'strata-vscode-save-')); });
  suiteTeardown(() => { rmSync(work, { recursive: true, force: true }); });

  test('the commands are where a user looks: the image\'s context menu, the Images title menu, the empty view\'s welcome', () => {
    const c = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
    const title = (id: string) => (c.commands as { command: string; title: string }[]).find((x) => x.command === id)?.title;
    assert.equal(title('strata.saveImage'), 'Save Image…');
    assert.equal(title('strata.loadImage'), 'Load Image from Archive…');
    assert.ok((c.menus['view/item/context'] as Menu[]).some((m) => m.command === 'strata.saveImage' && m.when === 'view == strata.images && viewItem == image'));
    assert.ok((c.menus['view/title'] as Menu[]).some((m) => m.command === 'strata.loadImage' && m.when === 'view == strata.images'));
    const welcome = (c.viewsWelcome as { view: string; contents: string }[]).find((w) => w.view === 'strata.images' && w.contents.startsWith('No images yet'));
    assert.match(welcome?.contents ?? '', /\[Load images from an archive\]\(command:strata\.loadImage\)/);
  });

  test('strata.saveImage with arguments writes a docker archive with gzip\'d layers; strata.loadImage brings the image back with its id', async () => {
    const strata = await api();
    cli('import', await busyboxTar(), 'saveme:1');
    const id = cli('images', '-q', '--no-trunc', 'saveme:1').trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const file = join(work, 'saveme.tar');
    const saved = (await vscode.commands.executeCommand('strata.saveImage', 'saveme:1', vscode.Uri.file(file), 'docker', { compress: true })) as { size: number } | undefined;
    assert.ok(saved, `the save returned nothing; errors: ${JSON.stringify(strata.errors.recent)}`);
    assert.equal(statSync(file).size, saved.size, 'the whole archive, as the helper counted it');
    assert.deepEqual(readdirSync(work).filter((n) => n.endsWith('.part')), [], 'no temporary file left');
    const listing = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).split('\n');
    assert.ok(listing.includes('manifest.json') && listing.some((n) => n.endsWith('/layer.tar.gz')), listing.join('\n'));

    cli('rmi', 'saveme:1');
    assert.equal(cli('images', '-q', 'saveme:1').trim(), '');
    const loaded = (await vscode.commands.executeCommand('strata.loadImage', vscode.Uri.file(file))) as { images: { id: string; tags: string[] }[] } | undefined;
    assert.ok(loaded, `the load returned nothing; errors: ${JSON.stringify(strata.errors.recent)}`);
    assert.deepEqual(loaded.images, [{ id, tags: ['saveme:1'] }]);
    assert.equal(cli('images', '-q', '--no-trunc', 'saveme:1').trim(), id, 'the same image id');
    const rows = await viewRows('Images', { containing: 'saveme:1' });
    assert.ok(rows.some((r) => r.startsWith('saveme:1 ')), `rows: ${JSON.stringify(rows)}`);
    await screenshot('image-loaded');
  });

  test('strata.loadImage loads an OCI layout folder (made by strata save --format oci-dir); an OCI archive saved by the command loads too', async () => {
    const strata = await api();
    const id = cli('images', '-q', '--no-trunc', 'saveme:1').trim();
    const oci = join(work, 'saveme.oci.tar');
    await vscode.commands.executeCommand('strata.saveImage', 'saveme:1', oci, 'oci');
    assert.ok(existsSync(oci), `no OCI archive; errors: ${JSON.stringify(strata.errors.recent)}`);
    assert.ok(execFileSync('tar', ['tf', oci], { encoding: 'utf8' }).split('\n').includes('oci-layout'));
    const folder = join(work, 'layout');
    cli('save', '--format', 'oci-dir', '-o', folder, 'saveme:1');
    cli('rmi', 'saveme:1');
    const fromFolder = (await vscode.commands.executeCommand('strata.loadImage', vscode.Uri.file(folder))) as { images: { id: string }[] } | undefined;
    assert.deepEqual(fromFolder?.images.map((i) => i.id), [id], `errors: ${JSON.stringify(strata.errors.recent)}`);
    cli('rmi', 'saveme:1');
    const fromOci = (await vscode.commands.executeCommand('strata.loadImage', oci)) as { images: { id: string }[] } | undefined;
    assert.deepEqual(fromOci?.images.map((i) => i.id), [id]);
    await waitFor('the image row again', async () => (await strata.images.images()).some((n) => n.imageId === id) || undefined);
  });

  test('a damaged archive is refused with the reason, in a message the user sees, and nothing is loaded', async () => {
    const strata = await api();
    const bad = join(work, 'bad.tar');
    execFileSync('sh', ['-c', `head -c 3000 ${join(work, 'saveme.oci.tar')} > ${bad}`]);
    const before = strata.errors.recent.length;
    const images = cli('images', '-q', '--no-trunc');
    await vscode.commands.executeCommand('strata.loadImage', bad);
    const reported = await waitFor('the error report', () => strata.errors.recent.slice(before).find((e) => e.what === 'Load images from an archive'));
    assert.match(reported.message, /truncated|not an image archive/i, reported.message);
    assert.equal(cli('images', '-q', '--no-trunc'), images, 'no image came or went');
  });
});
