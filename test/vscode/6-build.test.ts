/// <reference types="mocha" />
// "Build Image with Strata…" on a Dockerfile of the workspace: the image is made, its output is in
// a terminal named for it (cached steps marked), its layers carry their instructions and go back to
// their lines, a layer's diff opens as any layer's; a failing step is a Diagnostic on its line.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { BuildResult } from '../../extension/commands/build-image';
import type { ChangeFileNode } from '../../extension/tree/change-nodes';
import type { ImageNode } from '../../extension/tree/image-node';
import type { LayerNode } from '../../extension/tree/layer-node';
import { screenshot, viewRows } from './support/browser';
import { api, cli, closeAllEditors, repoRoot, waitFor } from './support/strata';

const DOCKERFILE = 'FROM busybox\nENV GREETING=hello\nCOPY hello.txt /hello.txt\nRUN echo "$GREETING from RUN" > /from-run\nCMD ["cat", "/from-run"]\n';

function workspaceDir(name: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite runs with a workspace folder');
  const dir = join(folder.uri.fsPath, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function imageNamed(name: string): Promise<ImageNode> {
  const strata = await api();
  strata.images.refresh();
  return waitFor(`image ${name} in the tree`, async () => (await strata.images.images()).find((n) => n.summary.repoTags.includes(name)));
}

suite('build', () => {
  suiteSetup(function () {
    this.timeout(60_000);
    cli('busybox');
  });
  teardown(closeAllEditors);

  test('the command is on Dockerfiles in the Explorer and the editor title', () => {
    const menus = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).contributes.menus;
    for (const where of ['explorer/context', 'editor/title']) {
      const entry = menus[where].find((m: { command: string }) => m.command === 'strata.buildImage');
      assert.ok(entry, `${where} has Build Image with Strata`);
      assert.match(entry.when, /resourceLangId == dockerfile/);
    }
  });

  test('Build Image with Strata makes the image; the terminal shows the steps; the layers carry their instructions; a layer diff opens', async function () {
    this.timeout(120_000);
    const dir = workspaceDir('app');
    writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
    writeFileSync(join(dir, 'hello.txt'), 'hello from the context\n');
    const uri = vscode.Uri.file(join(dir, 'Dockerfile'));
    await vscode.window.showTextDocument(uri);
    const result = (await vscode.commands.executeCommand('strata.buildImage', uri, 'built:1')) as BuildResult;
    assert.ok(result, 'the build succeeded (see the Strata log)');
    assert.equal(result.terminal.name, 'build built:1');
    const shown = result.pty.transcript();
    for (const line of ['Step 1/5 : FROM busybox', 'Step 4/5 : RUN echo "$GREETING from RUN" > /from-run', 'hello', 'Successfully tagged built:1']) assert.ok(shown.includes(line), `terminal lacks ${line}:\n${shown}`);
    assert.equal(cli('run', '--rm', 'built:1'), 'hello from RUN\n');

    // Again: every step from the cache, and the terminal says so.
    const again = (await vscode.commands.executeCommand('strata.buildImage', uri, 'built:1')) as BuildResult;
    assert.equal(again.id, result.id);
    assert.equal((again.pty.transcript().match(/Using cache \(CACHED\)/g) ?? []).length, 4);
    again.terminal.show();
    await screenshot('build-terminal');

    const image = await imageNamed('built:1');
    const layers = (await image.children()) as LayerNode[];
    assert.deepEqual(layers.slice(0, 2).map((l) => [l.madeBy, l.built?.line, l.treeItem().contextValue]), [
      ['RUN echo "$GREETING from RUN" > /from-run', 4, 'layer.built'],
      ['COPY hello.txt /hello.txt', 3, 'layer.built'],
    ]);
    const tip = (layers[1].treeItem().tooltip as vscode.MarkdownString).value;
    assert.ok(tip.includes('app/Dockerfile:3') && tip.includes('command:strata.goToInstruction'), tip);
    const strata = await api();
    await strata.imagesView.reveal(layers[1], { select: true, focus: true, expand: true });
    await viewRows('Images', { containing: 'COPY hello.txt' });
    await screenshot('build-layers');

    const editor = (await vscode.commands.executeCommand('strata.goToInstruction', layers[1])) as vscode.TextEditor;
    assert.equal(editor.document.uri.fsPath, uri.fsPath);
    assert.equal(editor.selection.start.line, 2);

    const file = (await layers[1].children()).find((n) => (n as ChangeFileNode).path === '/hello.txt') as ChangeFileNode;
    assert.ok(file, 'the COPY layer holds /hello.txt');
    await vscode.commands.executeCommand('strata.openChange', file);
    const tab = await waitFor('the diff of /hello.txt', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff && input.modified.path === '/hello.txt' ? input : undefined;
    });
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(tab.modified)).toString('utf8'), 'hello from the context\n');
  });

  test('a failing step shows its message as a Diagnostic on its Dockerfile line', async function () {
    this.timeout(60_000);
    const dir = workspaceDir('broken');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo fine\nRUN echo failing; exit 3\n');
    const uri = vscode.Uri.file(join(dir, 'Dockerfile'));
    const strata = await api();
    const reported = strata.errors.recent.length;
    const result = await vscode.commands.executeCommand('strata.buildImage', uri, 'broken:1');
    assert.equal(result, undefined, 'the command reported the failure');
    const diags = await waitFor('a diagnostic on the Dockerfile', () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Strata build'));
    assert.equal(diags.length, 1);
    assert.equal(diags[0].range.start.line, 2);
    assert.equal(diags[0].message, "The command '/bin/sh -c echo failing; exit 3' returned a non-zero code: 3");
    assert.ok(strata.errors.recent.length > reported);
    await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await screenshot('build-diagnostic');

    // An unknown instruction: refused at its line before any step.
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nNOPE x\n');
    await vscode.commands.executeCommand('strata.buildImage', uri, 'broken:1');
    const again = await waitFor('the parse error diagnostic', () => vscode.languages.getDiagnostics(uri).find((d) => d.range.start.line === 1));
    assert.match(again.message, /unknown instruction: NOPE/);
  });
});
