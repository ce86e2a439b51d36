/// <reference types="mocha" />
// Harness self-test: the fixture extension activates inside code-server's extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const ID = 'strata-test.strata-vscode-fixture';

suite('fixture: activation', () => {
  test('the extension is found and activates', async () => {
    const ext = vscode.extensions.getExtension(ID);
    assert.ok(ext, `extension ${ID} is not loaded`);
    const api = (await ext.activate()) as { env(name: string): string | undefined };
    assert.equal(ext.isActive, true);
    // --env K=V on the runner reaches the extension host's environment.
    assert.equal(api.env('STRATA_FIXTURE_GREETING'), 'hello from --env');
    assert.equal(vscode.version, '1.100.3');
  });
});
