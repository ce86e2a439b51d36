/// <reference types="mocha" />
// Importing a busybox tarball through the command makes an image with one layer, which shows in
// the tree's data and in the rows a user sees.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LayerNode } from '../../extension/tree/layer-node';
import { screenshot, viewRows } from './support/browser';
import { api, busyboxTar, cli, storeRoot } from './support/strata';

suite('import', () => {
  test('strata.importTarball with a Uri and a name makes the image and its layer appear', async () => {
    const strata = await api();
    const tar = await busyboxTar();
    const result = (await vscode.commands.executeCommand('strata.importTarball', vscode.Uri.file(tar), 'bbtar:1')) as { id: string; layer: string } | undefined;
    assert.ok(result, `the import returned nothing; errors: ${JSON.stringify(strata.errors.recent)}`);
    assert.match(result.id, /^sha256:[a-f0-9]{64}$/);

    // The CLI sees it in the same store.
    assert.match(cli('images'), /bbtar\s+1\s+/);
    // VS Code runs as root here (the direct relay): the tar's bytes went raw on the store's socket,
    // not as base64 through the relay.
    assert.match(readFileSync(join(storeRoot(), 'helper.log'), 'utf8'), /raw upload [0-9a-f]{8}…: \d+ bytes in \d+ ms/);

    // The tree's data: the image, then its one layer with its counts.
    const image = (await strata.images.images()).find((n) => n.imageId === result.id);
    assert.ok(image, 'the image is not in the tree');
    assert.equal(image.treeItem().label, 'bbtar:1');
    const layers = (await image.children()) as LayerNode[];
    assert.equal(layers.length, 1);
    assert.equal(layers[0].layer.id, result.layer);
    assert.equal(layers[0].treeItem().label, 'Imported from rootfs.tar');
    assert.match(String(layers[0].treeItem().description), /^\d+(\.\d+)? MB · \+\d+ ~0 −0$/);

    // What the user sees: the image row (name:tag, then its size), revealed and opened by the import, and its layer row.
    const rows = await viewRows('Images', { containing: 'Imported from rootfs.tar' });
    assert.ok(rows.some((r) => /^bbtar:1 \d+(\.\d+)? MB · /.test(r)), `rows: ${JSON.stringify(rows)}`);
    assert.ok(rows.some((r) => /^Imported from rootfs\.tar \d+(\.\d+)? MB · \+\d+ ~0 −0$/.test(r)), `rows: ${JSON.stringify(rows)}`);
    await screenshot('images-after-import');
  });
});
