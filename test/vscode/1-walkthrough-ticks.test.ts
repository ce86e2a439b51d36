/// <reference types="mocha" />
// Issue 10, item 5: the walkthrough's steps tick from the store's state: "Make an image" when an
// image exists (tagged by the strata command here, not by a command of this window), "Change a
// file" when a container has changes (made in it by `strata exec`, with no view open). Its code
// blocks fit its column (short lines), and what it shows is in a screenshot. It runs right after
// 1-activation, on the empty store, before any suite runs a command that ticks a step (the
// workbench ticks a step on an event once per session: a reset of the progress would not see the
// same key become true again).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { outerHTML, screenshot } from './support/browser';
import { cli, closeAllEditors, repoRoot, sleep, waitFor } from './support/strata';

/** The walkthrough's steps as the page shows them: title and whether its tick is on. */
async function steps(): Promise<{ title: string; done: boolean }[]> {
  const html = await outerHTML('.getting-started-step', 4000);
  return html.map((h) => ({
    title: /class="step-title[^"]*"[^>]*>([^<]*)</.exec(h)?.[1]?.trim() ?? '?',
    // The step's checkbox: "Checkbox for Step <title>: Completed".
    done: /role="checkbox" aria-checked="true"/.test(h),
  }));
}

async function ticked(title: string): Promise<boolean> {
  return (await steps()).some((s) => s.title === title && s.done);
}

suite('walkthrough ticks', () => {
  let id: string | undefined;

  suiteSetup(async () => {
    await closeAllEditors();
  });

  suiteTeardown(async () => {
    if (id) cli('rm', '-f', id);
    await closeAllEditors();
  });

  test('"Make an image" ticks when an image exists, "Change a file" when a container has changes', async function () {
    this.timeout(60_000);
    assert.equal(cli('images', '-q').trim(), '', 'the store is still empty (this runs right after 1-activation)');
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', 'strata.strata#strata.understandingDocker', false);
    await waitFor('the walkthrough\'s steps', async () => (await steps()).length >= 6);
    await sleep(1500); // the extension's first look at the store
    assert.equal(await ticked('Make an image'), false, 'no image yet');
    cli('busybox'); // made outside this window: only the store's state can tick the step
    await waitFor(`"Make an image" ticked (steps: ${JSON.stringify(await steps())})`, () => ticked('Make an image'), 10_000);
    assert.equal(await ticked('Change a file'), false, 'no container has changes yet');
    id = cli('run', '-d', 'busybox:latest', 'sleep', '300').trim();
    await sleep(500);
    cli('exec', id, 'sh', '-c', 'echo hello > /hello');
    await waitFor(`"Change a file" ticked (steps: ${JSON.stringify(await steps())})`, () => ticked('Change a file'), 10_000);
    await sleep(300);
    await screenshot('walkthrough-ticks');
  });

  test('its code blocks fit its column: no line longer than 32 characters', () => {
    const dir = join(repoRoot(), 'media/walkthrough');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
      const blocks = readFileSync(join(dir, file), 'utf8').split('```').filter((_, i) => i % 2 === 1);
      for (const line of blocks.flatMap((b) => b.split('\n').slice(1))) {
        assert.ok(line.length <= 32, `${file}: "${line}" (${line.length} characters) is cut at the walkthrough's width`);
      }
    }
  });
});
