/// <reference types="mocha" />
// Issue 10, item 8: a running container's changes follow its file system by a push from the helper
// (container.changed), not by polling: a write in the container shows in the tree by itself, an
// open diff of a changed file shows its new bytes, and while the container does nothing the
// "Strata" log gets no request at all (it had a container.changes every 1.5 s).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerNode } from '../../extension/tree/container-node';
import { screenshot, viewRows } from './support/browser';
import { api, cli, closeAllEditors, sleep, strataLog, waitFor } from './support/strata';
import { recordTiming } from './support/timings';

/** How many requests of `method` the Strata log holds so far. */
async function requestsInLog(method: string): Promise<number> {
  const strata = await api();
  const text = (await waitFor('the Strata log file', () => strataLog(strata.logUri.fsPath))) ?? '';
  return text.split('\n').filter((l) => l.includes(`→ ${method} `)).length;
}

suite('live changes, pushed', () => {
  let id: string;
  let node: ContainerNode;

  suiteSetup(async function () {
    this.timeout(60_000);
    cli('busybox');
    id = cli('run', '-d', '--name', 'live_pusher', 'busybox:latest', 'sleep', '600').trim();
    const strata = await api();
    await vscode.commands.executeCommand('strata.containers.focus');
    strata.containers.refresh();
    node = await waitFor('the container row', () => strata.containers.findContainer(id));
    await waitFor('the container row open, showing no changes yet', async () => {
      await strata.containersView.reveal(node, { select: true, focus: false, expand: true });
      return (await viewRows('Containers', { containing: 'No changes yet', timeoutMs: 1000 })).some((r) => r.includes('No changes yet'));
    }, 15_000, 0);
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    cli('rm', '-f', id);
  });

  test('a write in the container shows in its open row by itself (figures for npm run bench)', async () => {
    const started = performance.now();
    cli('exec', id, 'sh', '-c', 'echo first > /pushed');
    const rows = await waitFor('the pushed file in the tree', async () => {
      const r = await viewRows('Containers', { containing: 'pushed', timeoutMs: 100 });
      return r.includes('pushed') ? r : undefined;
    }, 10_000, 50);
    recordTiming('writeToRow', performance.now() - started, 'a write in a running container to its row in the open tree (strata exec included)');
    assert.ok(rows.includes('pushed'), `rows: ${JSON.stringify(rows)}`);
    await screenshot('live-change-pushed');
  });

  test('an open diff of a container\'s file shows its new bytes after the container writes them', async () => {
    await vscode.commands.executeCommand('strata.openChange', { kind: 'container', id }, '/pushed', 'A');
    const modified = await waitFor('the diff tab', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input.modified : undefined;
    });
    const doc = await vscode.workspace.openTextDocument(modified);
    assert.equal(doc.getText(), 'first\n');
    cli('exec', id, 'sh', '-c', 'echo second >> /pushed');
    await waitFor('the diff showing the new line', () => doc.getText() === 'first\nsecond\n', 10_000);
  });

  test('while the container does nothing, the log gets no request: no polling', async function () {
    this.timeout(30_000);
    await sleep(1000); // what the writes above asked is done
    const before = await requestsInLog('container.changes');
    const anyBefore = await requestsInLog('');
    await sleep(4500); // three rounds of the old 1.5 s poll
    assert.equal(await requestsInLog('container.changes'), before, 'no container.changes while nothing changes');
    assert.equal(await requestsInLog(''), anyBefore, 'no request of any kind');
    // And the push still works after the quiet.
    cli('exec', id, 'sh', '-c', 'echo later > /later');
    await viewRows('Containers', { containing: 'later', timeoutMs: 10_000 });
    assert.ok((await node.children()).some((k) => k.treeItem().label === 'later'));
  });
});
