// The extensionTestsPath entry: the extension host calls run() once the workbench is up.
// Runs mocha (tdd: suite/test) over every *.test.js beside this file once bundled (its own folder,
// not subfolders), then reports the counts to the runner (POST /result, see scripts/vscode-run.mjs)
// and as a plain line "STRATA-VSCODE-COUNT <passed> <failed>", so the runner can end with
// "N passed, N failed". A skipped (pending) test counts as failed, as in scripts/count-reporter.mjs.
// Environment: STRATA_VSCODE_GREP=<text> runs only the tests whose full title contains it.
// Bundle with `mocha` and `vscode` external: mocha must be the same copy the test files' globals
// come from, and it loads the test files with require().
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { browserAvailable, post } from './browser';

// Marks the reporter's lines for the runner, which tells them from the workbench's own log lines by
// it. (The extension host's console cannot be wrapped: VS Code defines its methods non-writable.)
// Once the first marked line has come, the runner prints every line the extension host logs, so
// console.log in tests and in the extension shows too.
export const HOST_OUTPUT_MARK = 'STRATA-HOST| ';

export async function run(): Promise<void> {
  const mark = browserAvailable() ? HOST_OUTPUT_MARK : '';
  const say = (...args: unknown[]) => console.log(mark + util.format(...args));
  // The extension host forwards console output unformatted ("%s (%dms) title 12"): format it here.
  Mocha.reporters.Base.consoleLog = say;
  say('running the VS Code suite in %s (VS Code %s, %s)', __dirname, vscode.version, vscode.env.appHost);
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.STRATA_VSCODE_GREP;
  if (grep) mocha.grep(grep);
  const dir = __dirname;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(dir, f));

  let passed = 0;
  let failed = 0;
  const failures: { title: string; error: string }[] = [];
  const report = async (loadError?: unknown) => {
    if (loadError) {
      failed++;
      failures.push({ title: 'loading the test files', error: String((loadError as Error)?.stack ?? loadError) });
    }
    if (files.length === 0) {
      failed++;
      failures.push({ title: 'finding the test files', error: `no *.test.js in ${dir}` });
    }
    say(`STRATA-VSCODE-COUNT ${passed} ${failed}`);
    if (browserAvailable()) await post('/result', { passed, failed, failures }).catch((e) => console.error(`could not report to the runner: ${e}`));
  };

  try {
    await mocha.loadFilesAsync();
  } catch (e) {
    await report(e);
    throw e;
  }
  // Running counts and the current test go to the runner as they change (not awaited), so that a
  // run stopped by the runner's timeout still says what passed and which test hung.
  let seq = 0;
  const progress = (current?: string) => {
    if (browserAvailable()) post('/progress', { seq: ++seq, passed, failed, current }).catch(() => {});
  };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('test', (t) => progress(t.fullTitle()));
    runner.on('hook', (h) => progress(h.fullTitle()));
    runner.on('pass', () => {
      passed++;
      progress();
    });
    runner.on('fail', (t, err) => {
      failed++;
      failures.push({ title: t.fullTitle(), error: String(err?.stack ?? err) });
      progress();
    });
    runner.on('pending', (t) => {
      failed++;
      failures.push({ title: t.fullTitle(), error: 'skipped (a skipped test counts as failed)' });
      progress();
    });
  });
  await report();
  if (failed > 0) throw new Error(`${failed} test(s) failed: ${failures.map((f) => f.title).join('; ')}`);
}
