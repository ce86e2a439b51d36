/// <reference types="mocha" />
// Harness self-test: a contributed command is registered and runs.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

suite('fixture: command', () => {
  test('strataFixture.hello is registered and returns its text', async () => {
    const all = await vscode.commands.getCommands(true);
    assert.ok(all.includes('strataFixture.hello'), 'strataFixture.hello is not registered');
    const text = await vscode.commands.executeCommand<string>('strataFixture.hello', 'harness');
    assert.match(text, /^Hello harness from the Strata fixture \(\d+\)$/);
    console.log(`      (console.log from a test reaches the runner: ${text})`);
  });
});
