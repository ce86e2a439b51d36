/// <reference types="mocha" />
// A layer's changed files: the same paths and A/M/D as `strata diff --layer`, coloured as Git
// colours them; a click opens a diff whose two sides hold the right bytes; "Open Changes" opens
// them all in the multi-diff editor; a changed file opens in the language its name gives it; a layer
// of thousands of files opens folder by folder (how fast is npm run bench's figure, not asserted).
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { ChangesCache } from '../../extension/diff/changes';
import type { ChangeFileNode, ChangeFolderNode } from '../../extension/tree/change-nodes';
import type { ImageNode } from '../../extension/tree/image-node';
import type { LayerNode } from '../../extension/tree/layer-node';
import type { TreeNode } from '../../extension/tree/node';
import { screenshot, viewRows, visibleRows } from './support/browser';
import { api, busyboxTar, cli, cliLayerDiff, closeAllEditors, storeRoot, waitFor, waitForDecoratedRow } from './support/strata';
import { recordTiming } from './support/timings';

// The extension's classes are another copy than this bundle's: rows are told apart by contextValue.
const isFolder = (n: TreeNode): n is ChangeFolderNode => n.treeItem().contextValue === 'change.folder';
const isFile = (n: TreeNode): n is ChangeFileNode => n.treeItem().contextValue === 'change.file';

async function walk(node: TreeNode, out: { path: string; mark: string | undefined; node: TreeNode }[] = []) {
  for (const child of await node.children()) {
    if (isFolder(child)) {
      out.push({ path: child.entry.path, mark: child.entry.mark, node: child });
      await walk(child, out);
    } else if (isFile(child)) {
      out.push({ path: child.path, mark: child.mark, node: child });
    }
  }
  return out;
}

async function imageNamed(name: string): Promise<ImageNode> {
  const strata = await api();
  strata.images.refresh();
  return waitFor(`image ${name} in the tree`, async () => (await strata.images.images()).find((n) => n.summary.repoTags.includes(name)));
}

async function diffTab(path: string): Promise<vscode.TabInputTextDiff> {
  return waitFor(`a diff tab for ${path}`, () => {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    return input instanceof vscode.TabInputTextDiff && input.modified.path === path ? input : undefined;
  });
}

const text = async (uri: vscode.Uri) => Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');

/** Opens `layer`, then each named folder in turn: the layer's first level, and the last folder's children. */
async function openDown(layer: LayerNode, folders: string[]): Promise<{ firstLevel: TreeNode[]; files: TreeNode[] }> {
  const firstLevel = await layer.children();
  let level = firstLevel;
  for (const name of folders) {
    const folder = level.find((n) => isFolder(n) && n.entry.name === name);
    assert.ok(folder, `no folder ${name} among ${level.map((n) => n.treeItem().label).join(', ')}`);
    level = await folder.children();
  }
  return { firstLevel, files: level };
}

/**
 * Times what a user waits for the first time they open this image in the tree, for npm run bench:
 * the image row (its layers, and their change lists fetched from the helper and indexed), the layer
 * row (its first level), and three levels down. The view has opened this image already (an import
 * reveals it), so its nodes and change lists are warm: the timing uses a new image node over a new
 * change cache, made with the extension's own classes (this bundle has other copies of them).
 */
async function timeColdOpen(image: ImageNode): Promise<void> {
  const strata = await api();
  const Cache = strata.services.changes.constructor as new (helper: typeof strata.helper) => ChangesCache;
  const Image = image.constructor as new (summary: ImageNode['summary'], helper: typeof strata.helper, changes: ChangesCache) => ImageNode;
  const changes = new Cache(strata.helper);
  try {
    let t = performance.now();
    const [layer] = await new Image(image.summary, strata.helper, changes).children();
    const fetchMs = performance.now() - t;
    t = performance.now();
    await layer.children();
    const firstLevelMs = performance.now() - t;
    t = performance.now();
    const { files } = await openDown(layer, ['many', 'd7']);
    const threeLevelsMs = firstLevelMs + performance.now() - t;
    assert.equal(files.length, 250, 'the timed nodes are the ones the tree shows');
    const n = layer.index!.size;
    recordTiming('largeLayerFetch', fetchMs, `opening an image with a ${n}-change layer: its changes fetched and indexed`);
    recordTiming('largeLayerFirstLevel', firstLevelMs, `opening that ${n}-change layer: its first level`);
    recordTiming('largeLayerThreeLevels', threeLevelsMs, `that layer's first three levels, down to a folder of 250 files`);
  } finally {
    changes.dispose();
  }
}

suite('layers', () => {
  let top: LayerNode;

  suiteSetup(async function () {
    this.timeout(120_000);
    // A second layer made as the article makes one: a container changes files, then a commit.
    cli('busybox');
    cli('run', '--name', 'maker', 'busybox', 'sh', '-c', 'echo hi > /hello; rm /etc/motd; echo x >> /etc/passwd');
    cli('commit', '-m', 'hello, and no motd', 'maker', 'layered:1');
    const image = await imageNamed('layered:1');
    const layers = (await image.children()) as LayerNode[];
    assert.equal(layers.length, 2, 'layered:1 should have two layers');
    top = layers[0];
    assert.equal(top.position, 2, 'the newest layer comes first');
  });

  teardown(closeAllEditors);

  test('the changed files and their A/M/D match strata diff --layer, with Git\'s colours', async () => {
    const strata = await api();
    const fromCli = cliLayerDiff(top.layer.id).map((line) => line.replace(/^C /, 'M ')).sort();
    const entries = await walk(top);
    const fromTree = entries.filter((e) => e.mark).map((e) => `${e.mark} ${e.path}`).sort();
    assert.deepEqual(fromTree, fromCli);
    assert.deepEqual(fromCli, ['A /hello', 'D /etc/motd', 'M /etc', 'M /etc/passwd'].sort());
    const colours: Record<string, string> = { A: 'gitDecoration.addedResourceForeground', M: 'gitDecoration.modifiedResourceForeground', D: 'gitDecoration.deletedResourceForeground' };
    for (const e of entries) {
      const deco = strata.decorations.provideFileDecoration(e.node.treeItem().resourceUri!);
      assert.equal(deco?.badge, e.mark, `badge of ${e.path}`);
      assert.equal((deco?.color as vscode.ThemeColor).id, colours[e.mark!], `colour of ${e.path}`);
    }
    // What made it, its size (the bytes strata inspect gives, under 1 kB here), its counts.
    const size: number = JSON.parse(cli('inspect', '--type', 'image', 'layered:1'))[0].Strata.Layers[1].Size;
    assert.ok(size > 0 && size < 1000, `the layer holds ${size} bytes`);
    assert.equal(top.treeItem().label, 'hello, and no motd');
    // Files, as the multi-diff editor counts them: /hello, /etc/passwd, /etc/motd (the folder /etc is not a file).
    assert.equal(top.treeItem().description, `${size} B · +1 ~1 −1`);
    // The hover: full ids and where it lives.
    const tip = (top.treeItem().tooltip as vscode.MarkdownString).value;
    for (const s of [top.layer.id, top.layer.diffId, join(storeRoot(), 'graph', top.layer.id.slice(7), 'layer')]) assert.ok(tip.includes(s), `tooltip lacks ${s}:\n${tip}`);
    // The image's hover, filled in when the pointer rests on it: every layer's ids and folder.
    const image = top.parent as unknown as ImageNode;
    const resolved = await strata.images.resolveTreeItem(image.treeItem(), image);
    const imageTip = (resolved.tooltip as vscode.MarkdownString).value;
    for (const s of [image.imageId, top.layer.id, top.layer.diffId, top.layer.path]) assert.ok(imageTip.includes(s), `image tooltip lacks ${s}:\n${imageTip}`);
  });

  test('clicking a changed file opens a diff: below on the left, this layer on the right', async () => {
    const strata = await api();
    const entries = await walk(top);
    const node = (p: string) => entries.find((e) => e.path === p)!.node as ChangeFileNode;
    const passwdBelow = cli('run', '--rm', 'busybox', 'cat', '/etc/passwd');

    await strata.imagesView.reveal(node('/etc/passwd'), { select: true, focus: false, expand: true });
    const item = node('/etc/passwd').treeItem();
    await vscode.commands.executeCommand(item.command!.command, ...item.command!.arguments!);
    let tab = await diffTab('/etc/passwd');
    assert.equal(await text(tab.original), passwdBelow);
    assert.equal(await text(tab.modified), `${passwdBelow}x\n`);
    assert.equal(tab.original.scheme, 'strata-layer');
    const rows = await viewRows('Images', { containing: 'passwd' });
    assert.ok(rows.includes('passwd'), `rows: ${JSON.stringify(rows)}`);
    // Colour and letter come from CSS classes of the file decoration (the letter is CSS content).
    for (const path of ['/etc/passwd', '/hello', '/etc/motd']) await waitForDecoratedRow('Images', path);
    await visibleRows('.tab', { containing: 'passwd (changed in layer' });
    await screenshot('layer-diff');

    await vscode.commands.executeCommand('strata.openChange', node('/hello'));
    tab = await diffTab('/hello');
    // Two versions of one path: the parent layer's chain on the left, this layer's on the right.
    assert.deepEqual([tab.original.authority, tab.modified.authority], [top.layer.parent!.slice(7), top.layer.id.slice(7)]);
    assert.equal(await text(tab.original), '');
    assert.equal(await text(tab.modified), 'hi\n');

    await vscode.commands.executeCommand('strata.openChange', node('/etc/motd'));
    tab = await diffTab('/etc/motd');
    assert.equal(await text(tab.original), 'Welcome to a Strata busybox container.\n');
    assert.equal(await text(tab.modified), '');

    // Read-only, as a layer is.
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(tab.modified, Buffer.from('no'))));
  });

  test('"Open Changes" opens every changed file in the multi-diff editor', async () => {
    const result = (await vscode.commands.executeCommand('strata.openLayerChanges', top)) as { title: string; shown: number; total: number };
    assert.equal(result.total, 3); // /etc/motd, /etc/passwd, /hello (the folder /etc is not a file)
    assert.equal(result.title, `Layer ${top.layer.id.slice(7, 19)}: hello, and no motd`);
    await waitFor(`the multi-diff tab (tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)).join(', ')})`, () => vscode.window.tabGroups.activeTabGroup.activeTab?.label.startsWith(result.title), 5000);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab!;
    // Not a single-file diff or text editor: the multi-diff input has no class in the stable API.
    assert.ok(!(tab.input instanceof vscode.TabInputTextDiff) && !(tab.input instanceof vscode.TabInputText));
    const tabs = await visibleRows('.tab', { containing: result.title });
    assert.ok(tabs.some((t) => t.includes(result.title)), `tabs: ${JSON.stringify(tabs)}`);
    await visibleRows('.multiDiffEntry', { atLeast: 3, timeoutMs: 5000 });
    await screenshot('layer-multi-diff');
  });

  test('"Reveal in graph folder" says where the layer lives on disk', async () => {
    const result = (await vscode.commands.executeCommand('strata.revealLayer', top)) as { path: string };
    assert.equal(result.path, join(storeRoot(), 'graph', top.layer.id.slice(7), 'layer'));
    const toasts = await visibleRows('.notification-toast', { containing: 'lives in' });
    assert.ok(toasts.some((t) => t.includes(result.path)), `toasts: ${JSON.stringify(toasts)}`);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  test('a changed file opens in the language its name gives it, as a file on disk would', async () => {
    cli('run', '--name', 'lang-maker', 'busybox', 'sh', '-c', 'echo \'{"a": 1}\' > /app.json; echo "echo hi" > /run.sh');
    cli('commit', 'lang-maker', 'lang:1');
    const [layer] = (await (await imageNamed('lang:1')).children()) as LayerNode[];
    const entries = await walk(layer);
    const onDisk = mkdtempSync(join(tmpdir(), 'strata-lang-'));
    for (const path of ['/app.json', '/run.sh']) {
      // What VS Code makes of a file of that name in a folder: the answer the layer's file must give.
      writeFileSync(join(onDisk, basename(path)), '');
      const expected = (await vscode.workspace.openTextDocument(vscode.Uri.file(join(onDisk, basename(path))))).languageId;
      assert.notEqual(expected, 'plaintext', `${path}: a name VS Code gives a language to`);
      const entry = entries.find((e) => e.path === path);
      assert.ok(entry, `${path} in the layer's changes: ${entries.map((e) => e.path).join(', ')}`);
      await vscode.commands.executeCommand('strata.openChange', entry.node);
      const tab = await diffTab(path);
      assert.equal((await vscode.workspace.openTextDocument(tab.modified)).languageId, expected, `${path}, this layer's side`);
      assert.equal((await vscode.workspace.openTextDocument(tab.original)).languageId, expected, `${path}, the side below`);
    }
    // The language shows in the status bar, as for any JSON file the user opens.
    await vscode.commands.executeCommand('strata.openChange', entries.find((e) => e.path === '/app.json')!.node);
    await diffTab('/app.json');
    const status = await visibleRows('.statusbar-item', { containing: 'JSON' });
    assert.ok(status.some((t) => t.includes('JSON')), `status bar: ${JSON.stringify(status)}`);
  });

  test('a layer of thousands of files opens folder by folder (figures for npm run bench)', async function () {
    this.timeout(120_000);
    const tar = await busyboxTar((dir) => {
      for (let d = 0; d < 20; d++) {
        mkdirSync(join(dir, 'many', `d${d}`), { recursive: true });
        for (let f = 0; f < 250; f++) writeFileSync(join(dir, 'many', `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
      }
    });
    const imported = (await vscode.commands.executeCommand('strata.importTarball', vscode.Uri.file(tar), 'many:1')) as { id: string };
    assert.ok(imported, 'the import failed');
    const image = await imageNamed('many:1');
    await timeColdOpen(image);
    const [layer] = (await image.children()) as LayerNode[];
    assert.ok(layer.index!.size > 5000, `only ${layer.index!.size} changes`);
    const { firstLevel, files } = await openDown(layer, ['many', 'd7']);
    assert.ok(firstLevel.some((n) => isFolder(n) && n.entry.name === 'many'), `the first level: ${firstLevel.map((n) => n.treeItem().label).join(', ')}`);
    assert.equal(files.length, 250);
    const strata = await api();
    await strata.imagesView.reveal(files[0], { select: true, focus: false, expand: true });
    const rows = await viewRows('Images', { containing: 'f0.txt' });
    assert.ok(rows.some((r) => r.startsWith('f0.txt')), `rows: ${JSON.stringify(rows)}`);
    await screenshot('images-tree-layer-expanded');
  });
});
