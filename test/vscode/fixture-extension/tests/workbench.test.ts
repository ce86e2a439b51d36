/// <reference types="mocha" />
// Harness self-test: what the user sees. The tree view's rows as the browser shows them, and a
// screenshot of the workbench saved by the runner.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { screenshot, viewRows, visibleRows } from '../../support/browser';

suite('fixture: workbench', () => {
  test('the tree view shows its rows', async () => {
    await vscode.commands.executeCommand('strataFixture.images.focus');
    const rows = await viewRows('Fixture Images', { atLeast: 3 });
    assert.deepEqual(rows, ['alpine:3.20 6 layers', 'busybox:1.36 7 layers', 'debian:12-slim 6 layers']);
  });

  test('a screenshot of the workbench is saved', async () => {
    await vscode.commands.executeCommand('strataFixture.hello', 'screenshot');
    await visibleRows('.notification-toast', { containing: 'Hello screenshot' });
    const file = await screenshot('fixture-workbench');
    assert.ok(file, 'no screenshot path (is STRATA_SCREENSHOT_URL set?)');
    const png = fs.readFileSync(file);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.length > 20_000, `screenshot is only ${png.length} bytes`);
  });
});
