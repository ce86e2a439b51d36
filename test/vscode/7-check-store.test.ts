/// <reference types="mocha" />
// Strata: Check Store (strata.checkStore), run with arguments as a keybinding or a task runs it:
// the report of `strata check` opens as a read-only document with the CLI's words; damage made by
// hand in the store is named there; {repair: true} fixes it and says what it did; then the store
// checks clean. The helper keeps running throughout: the check reads the disk, not its index.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { StoreCheckReport } from '../../helper/protocol/types';
import { screenshot, visibleRows } from './support/browser';
import { api, storeRoot } from './support/strata';

interface Checked { report: StoreCheckReport; document: vscode.TextDocument }

async function checkStore(repair: boolean): Promise<Checked> {
  const result = await vscode.commands.executeCommand<Checked | undefined>('strata.checkStore', { repair });
  assert.ok(result, 'the command returns the report (it did not fail)');
  return result;
}

suite('check store', () => {
  test('Strata: Check Store with arguments: the report in a read-only document, the damage named, repaired, then clean', async () => {
    await api();
    const first = await checkStore(false);
    assert.deepEqual(first.report.problems, [], 'the suite\'s store is consistent');
    assert.equal(first.document.uri.scheme, 'strata-check', 'a read-only document of the extension\'s own');
    assert.match(first.document.getText(), /^Checked \S+: \d+ layers? \(\d+ verified[^)]*\), \d+ images?, \d+ tags?, \d+ containers?\.\n[\s\S]*No problems found\.\n$/);
    assert.equal(vscode.window.activeTextEditor?.document, first.document, 'it is shown');

    const stray = join(storeRoot(), 'graph', 'left-by-hand');
    mkdirSync(stray);
    writeFileSync(join(stray, 'note'), 'not a layer\n');
    const second = await checkStore(false);
    assert.deepEqual(second.report.problems.map((p) => [p.path, p.repaired]), [['graph/left-by-hand', undefined]]);
    assert.match(second.document.getText(), /^graph\/left-by-hand: not a layer: graph\/ holds folders named by a 64-hex chain id$/m);
    assert.match(second.document.getText(), /1 problem found\. Run strata check --repair/);
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === 'Store Check.txt').length, 1, 'one report tab: the new one replaced the old');
    const tabs = await visibleRows('.tab', { containing: 'Store Check' });
    assert.ok(tabs.length >= 1, `the report's tab: ${JSON.stringify(tabs)}`);
    await screenshot('check-store-report');

    const repaired = await checkStore(true);
    const moved = repaired.report.problems.find((p) => p.path === 'graph/left-by-hand')?.repaired ?? '';
    assert.match(moved, /^moved to lost\+found\/\S+\/graph\/left-by-hand$/);
    assert.match(repaired.document.getText(), /^ {2}repaired: moved to lost\+found\/\S+\/graph\/left-by-hand$/m);
    assert.equal(existsSync(stray), false, 'it left graph/');
    assert.ok(existsSync(join(storeRoot(), moved.slice('moved to '.length), 'note')), 'and is kept whole in lost+found');

    const last = await checkStore(false);
    assert.deepEqual(last.report.problems, []);
    assert.match(last.document.getText(), /No problems found\.\n$/);
    rmSync(join(storeRoot(), 'lost+found'), { recursive: true, force: true });
  });
});
