/// <reference types="mocha" />
// Issue 10, part B, images: what a Container Tools user reaches for on an image, each through its
// command with arguments and on the right rows (the menus' `when` clauses against each row's
// contextValue): Run… (detached, and interactive in a terminal), Tag…, Copy Image ID, Copy Full Tag,
// Remove (Delete on the selected row; the dialog names the containers that use it and forces),
// Prune Dangling Images, History (a table of the layers and what made them), and a repository with
// many tags grouped under one row.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ImageNode } from '../../extension/tree/image-node';
import type { TreeNode } from '../../extension/tree/node';
import { click, press, screenshot, viewRows, viewRowsSelector } from './support/browser';
import { keyCommand, menu, rowMenu } from './support/menus';
import { api, cli, closeAllEditors, setSetting, sleep, waitFor } from './support/strata';

const imageId = (ref: string) => (JSON.parse(cli('inspect', '--type', 'image', ref))[0] as { Id: string }).Id;
const containerOf = (id: string) => JSON.parse(cli('inspect', id))[0] as { Id: string; Name: string; State: { Status: string }; Config: { Env: string[]; Cmd: string[] }; HostConfig: { NetworkMode: string } };

async function imageRow(tag: string): Promise<ImageNode> {
  const strata = await api();
  strata.images.refresh();
  return waitFor(`the ${tag} row`, async () => (await strata.images.images()).find((n) => n.summary.repoTags.includes(tag)));
}

suite('image actions', () => {
  const made: string[] = [];
  const terminals: vscode.Terminal[] = [];

  suiteSetup(() => {
    cli('busybox');
  });

  suiteTeardown(async () => {
    for (const t of terminals) t.dispose();
    await closeAllEditors();
    for (const id of made) { try { cli('rm', '-f', id); } catch { /* removed by the test */ } }
  });

  test('each action is on image rows (not on layers, repositories or containers); Delete and F2 are bound on a selected image (its contextValue, in a context key the extension sets)', () => {
    const image = rowMenu('strata.images', 'image');
    for (const c of ['strata.runImage', 'strata.tagImage', 'strata.copyImageId', 'strata.copyImageTag', 'strata.removeImage', 'strata.imageHistory', 'strata.inspectImage']) {
      assert.ok(image.includes(c), `${c} on an image row`);
      for (const [view, row] of [['strata.images', 'layer'], ['strata.images', 'repository'], ['strata.containers', 'container.running']]) {
        assert.ok(!rowMenu(view, row).includes(c), `${c} not on a ${row} row`);
      }
    }
    const inline = menu('view/item/context', { view: 'strata.images', viewItem: 'image' }).filter((i) => i.group?.startsWith('inline')).map((i) => i.command);
    assert.ok(inline.includes('strata.runImage') && inline.includes('strata.removeImage'), `inline: ${inline.join(', ')}`);
    const title = menu('view/title', { view: 'strata.images' }).map((i) => i.command);
    assert.ok(title.includes('strata.pruneImages'), 'Prune Dangling Images in the view\'s title menu');
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.images', 'strata.imagesSelected': 'image' }), ['strata.removeImage']);
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.images', 'strata.imagesSelected': 'layer' }), [], 'Delete on a layer row does nothing');
    // A refresh's selection event with no rows sets '' (not known): the keys still run, and the
    // command reads the view's selection. Before any selection (the key never set) they do nothing.
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.images', 'strata.imagesSelected': '' }), ['strata.removeImage']);
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.containers', 'strata.containersSelected': '' }), ['strata.removeContainer']);
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.containers' }), [], 'nothing selected yet');
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.containers', 'strata.containersSelected': 'change.file' }), [], 'Delete on a change row does nothing');
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.containers', 'strata.containersSelected': 'container.exited' }), ['strata.removeContainer']);
    assert.deepEqual(keyCommand('delete', { focusedView: 'strata.containers', 'strata.containersSelected': 'container.exited', inputFocus: true }), [], 'not while typing');
    assert.deepEqual(keyCommand('f2', { focusedView: 'strata.containers', 'strata.containersSelected': 'container.running' }), ['strata.renameContainer']);
    assert.deepEqual(keyCommand('f2', { focusedView: 'strata.images', 'strata.imagesSelected': 'image' }), ['strata.tagImage']);
  });

  test('Run…, detached: the command, name, environment and network given; it runs in the background', async () => {
    const strata = await api();
    const result = (await vscode.commands.executeCommand('strata.runImage', 'busybox:latest',
      { cmd: ['sh', '-c', 'echo "$GREETING" > /greeting; sleep 300'], interactive: false, name: 'run_detached', env: ['GREETING=hello there'], network: 'host' })) as { id: string; name: string };
    made.push(result.id);
    assert.equal(result.name, 'run_detached');
    const c = containerOf(result.id);
    assert.equal(c.State.Status, 'running');
    assert.ok(c.Config.Env.includes('GREETING=hello there'), `env: ${c.Config.Env.join(' ')}`);
    assert.equal(c.HostConfig.NetworkMode, 'host');
    await waitFor('/greeting written', () => { try { return cli('exec', result.id, 'cat', '/greeting').trim() === 'hello there'; } catch { return false; } });
    await waitFor('its row', async () => { strata.containers.refresh(); return (await strata.containers.containers()).some((n) => n.summary.name === 'run_detached'); });
  });

  test('Run…, interactive: a terminal on the new container\'s shell', async () => {
    const strata = await api();
    const result = (await vscode.commands.executeCommand('strata.runImage', 'busybox:latest', { cmd: ['/bin/sh'], interactive: true, name: 'run_interactive' })) as { id: string; terminal: vscode.Terminal };
    made.push(result.id);
    terminals.push(result.terminal);
    assert.ok(result.terminal, 'a terminal');
    const pty = await waitFor('its pty', () => strata.shells.ptyOf(result.terminal));
    assert.equal(pty.containerId, result.id);
    result.terminal.sendText('echo typed > /typed');
    await waitFor('/typed written through the terminal', () => /A \/typed/.test(cli('diff', result.id)));
    assert.equal(containerOf(result.id).Name.replace(/^\//, ''), 'run_interactive');
  });

  test('Tag… names the image again; Copy Image ID and Copy Full Tag put them on the clipboard', async () => {
    const tagged = (await vscode.commands.executeCommand('strata.tagImage', 'busybox:latest', 'registry.local/tools/bb:v1')) as { tag: string };
    assert.ok(tagged, 'tagged');
    assert.equal(imageId('registry.local/tools/bb:v1'), imageId('busybox:latest'));
    const row = await imageRow('registry.local/tools/bb:v1');
    const copied = (await vscode.commands.executeCommand('strata.copyImageId', row)) as { id: string };
    assert.equal(copied.id, imageId('busybox:latest'));
    assert.equal(await vscode.env.clipboard.readText(), copied.id);
    assert.match(copied.id, /^sha256:[a-f0-9]{64}$/);
    await vscode.commands.executeCommand('strata.copyImageTag', 'registry.local/tools/bb:v1');
    assert.equal(await vscode.env.clipboard.readText(), 'registry.local/tools/bb:v1');
  });

  test('History: a table of the layers, newest first, with what made each', async () => {
    const maker = cli('run', '-d', 'busybox:latest', 'sh', '-c', 'echo one > /one').trim();
    made.push(maker);
    await waitFor('the maker to stop', () => containerOf(maker).State.Status === 'exited');
    cli('commit', '-m', 'added /one', maker, 'historied:1');
    const { uri } = (await vscode.commands.executeCommand('strata.imageHistory', 'historied:1')) as { uri: vscode.Uri };
    assert.equal(uri.scheme, 'strata-inspect');
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    const lines = text.split('\n');
    assert.match(lines[0], /^History of historied:1 \(image [a-f0-9]{12}\): 2 steps, newest first$/);
    assert.match(lines[2], /^LAYER\s+CREATED\s+SIZE\s+COMMENT\s+CREATED BY$/);
    // strata history's own rows, in its order: the commit (its command) above the import.
    const cliRows = cli('history', '--no-trunc', '--format', '{{.CreatedBy}}', 'historied:1').replace(/\n$/, '').split('\n');
    assert.equal(lines.length - 4, cliRows.length, text);
    cliRows.forEach((createdBy, i) => assert.ok(lines[3 + i].endsWith(createdBy.replace(/\s*\n\s*/g, ' ') || '(no command recorded)'), `row ${i}: ${lines[3 + i]} / ${createdBy}`));
    assert.match(lines[3], /added \/one/);
    await sleep(300);
    await screenshot('image-history');
  });

  test('Remove: Delete on the selected image asks, naming the containers that use it; forced, the image stays for them untagged', async () => {
    const strata = await api();
    // A separate image so that removing it does not touch busybox: a commit of nothing new.
    const base = cli('create', '--name', 'doomed_maker', 'busybox:latest', 'true').trim();
    made.push(base);
    cli('commit', base, 'doomed:1');
    const user = cli('create', '--name', 'doomed_user', 'doomed:1', 'true').trim();
    made.push(user);
    const row = await imageRow('doomed:1');
    await vscode.commands.executeCommand('strata.images.focus');
    await strata.imagesView.reveal(row, { select: true, focus: true });
    await viewRows('Images', { containing: 'doomed:1' });
    // As a user: a click on the row (it takes the focus and the selection), then the Delete key.
    await click(viewRowsSelector('Images'), 'doomed:1');
    await waitFor('the row selected', () => strata.imagesView.selection.includes(row));
    await sleep(300);
    // VS Code refuses modal dialogs under test and says so, with the dialog's words: the error the
    // command reports then holds what the user would be asked.
    const asked = new Promise<string>((resolve) => {
      const sub = strata.errors.onDidReport((e) => { sub.dispose(); resolve(e.message); });
    });
    await press('Delete');
    const question = await asked;
    assert.match(question, /refused to show dialog in tests/, question);
    assert.match(question, /Image doomed:1 is in use by 1 container: doomed_user \(created\)\.\s+Remove it anyway\? Its name goes; the image itself stays, untagged/);
    assert.equal(cli('images', '--format', '{{.Repository}}:{{.Tag}}').includes('doomed:1'), true, 'nothing removed before the answer');
    // What "Remove Anyway" runs: the removal, forced.
    await vscode.commands.executeCommand('strata.removeImage', 'doomed:1', { force: true });
    await waitFor('doomed:1 untagged', () => !cli('images', '--format', '{{.Repository}}:{{.Tag}}').includes('doomed:1'));
    assert.equal(containerOf(user).State.Status, 'created', 'the container keeps its image');
  });

  test('Prune Dangling Images removes the untagged images no container uses', async () => {
    // An untagged image: tagged, then the tag moved to another image.
    cli('run', '--name', 'dangling_maker', 'busybox:latest', 'sh', '-c', 'echo a > /a');
    made.push('dangling_maker');
    cli('commit', 'dangling_maker', 'dangling:1');
    // Its maker is removed, so that no container uses the image once it is untagged.
    cli('rm', 'dangling_maker');
    const old = imageId('dangling:1');
    cli('tag', 'busybox:latest', 'dangling:1');
    assert.ok(cli('images', '-q', '--no-trunc').includes(old), 'the old image is there, untagged');
    const result = (await vscode.commands.executeCommand('strata.pruneImages', { confirmed: true })) as { deleted: string[] };
    assert.ok(result.deleted.includes(old), `deleted: ${result.deleted.join(', ')}`);
    assert.ok(!cli('images', '-q', '--no-trunc').includes(old));
    assert.ok(cli('images', '-q', '--no-trunc').includes(imageId('busybox:latest')), 'tagged images stay');
  });

  test('a repository with more tags than strata.images.groupAbove shows as one row, its images beneath', async () => {
    const strata = await api();
    const made4: string[] = [];
    for (const n of [1, 2, 3, 4]) {
      const c = cli('create', 'busybox:latest', 'true').trim();
      made.push(c);
      cli('commit', '-m', `version ${n}`, c, `grouped/app:v${n}`);
      made4.push(`grouped/app:v${n}`);
    }
    strata.images.refresh();
    const top = (await strata.images.getChildren()) as TreeNode[];
    const group = top.find((n) => n.treeItem().contextValue === 'repository' && n.treeItem().label === 'grouped/app');
    assert.ok(group, `a grouped/app row among ${top.map((n) => n.treeItem().label).join(', ')}`);
    const beneath = (await group.children()) as ImageNode[];
    assert.deepEqual(beneath.map((n) => n.summary.repoTags[0]).sort(), made4);
    assert.ok(beneath.every((n) => n.parent === group), 'each image knows its repository row (for reveal)');
    assert.ok(!top.some((n) => n.treeItem().contextValue === 'image' && String(n.treeItem().label).startsWith('grouped/app')), 'not also at the top');
    assert.equal(group.treeItem().description, '4 images');
    const rows = await viewRows('Images', { containing: 'grouped/app' });
    assert.ok(rows.some((r) => r.startsWith('grouped/app 4 images')), `rows: ${JSON.stringify(rows)}`);
    // Above 4: the same images, each its own row again.
    await setSetting('strata.images.groupAbove', 4);
    try {
      const flat = (await waitFor('the images ungrouped', async () => {
        const t = (await strata.images.getChildren()) as TreeNode[];
        return t.some((n) => n.treeItem().contextValue === 'repository') ? undefined : t;
      }));
      assert.equal(flat.filter((n) => String(n.treeItem().label).startsWith('grouped/app')).length, 4);
    } finally {
      await setSetting('strata.images.groupAbove', undefined);
    }
    await screenshot('images-grouped');
  });
});
