// Helpers for the Strata suite inside VS Code: the extension's API, the strata CLI on the same
// store (STRATA_ROOT, given to the extension host by the runner), busybox tarballs, waiting.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { StrataApi } from '../../../extension/extension';
import { outerHTML, viewRowsSelector } from './browser';
import { buildBusyboxRootfs } from '../../../helper/sources/busybox';

export const EXTENSION_ID = 'strata.strata';

/** The text of the "Strata" log output channel (a file in the extension's log folder), once it exists. */
export function strataLog(logDir: string): string | undefined {
  const file = existsSync(logDir) ? readdirSync(logDir).find((f) => f.startsWith('Strata')) : undefined;
  return file ? readFileSync(join(logDir, file), 'utf8') : undefined;
}

export function storeRoot(): string {
  const root = process.env.STRATA_ROOT;
  if (!root) throw new Error('STRATA_ROOT is not set: run the suite through scripts/test.mjs vscode');
  return root;
}

export async function api(): Promise<StrataApi> {
  const ext = vscode.extensions.getExtension<StrataApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

export function repoRoot(): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.extensionPath;
}

/** Runs the strata CLI on the suite's store; returns its stdout. */
export function cli(...args: string[]): string {
  return execFileSync(process.execPath, [join(repoRoot(), 'dist/cli.js'), '--root', storeRoot(), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `strata diff --layer ID` as [kind, path] pairs. */
export function cliLayerDiff(layerId: string): string[] {
  return cli('diff', '--layer', layerId).trim().split('\n').filter(Boolean);
}

/** A busybox root filesystem as a tar file, with `extra(dir)` run on the folder first. */
export async function busyboxTar(extra?: (dir: string) => void): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'strata-vscode-tar-'));
  const rootfs = join(work, 'rootfs');
  await buildBusyboxRootfs(rootfs);
  extra?.(rootfs);
  const tar = join(work, 'rootfs.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  rmSync(rootfs, { recursive: true, force: true });
  return tar;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; fails with `what` after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  const dot = key.indexOf('.');
  await vscode.workspace.getConfiguration(key.slice(0, dot)).update(key.slice(dot + 1), value, vscode.ConfigurationTarget.Global);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * Waits until the row of a changed file (its tooltip/aria label starts with the path) carries a
 * file decoration: a colour and a badge. (Both are CSS classes; the letter is CSS content, so it
 * is not in the row's text.)
 */
export async function waitForDecoratedRow(view: string, path: string, timeoutMs = 5000): Promise<void> {
  await waitFor(`the decoration on the ${path} row of ${view}`, async () => {
    const html = (await outerHTML(viewRowsSelector(view))).find((h) => h.includes(`aria-label="${path} (`));
    return html && /monaco-decoration-itemColor-/.test(html) && /monaco-decoration-itemBadge-/.test(html);
  }, timeoutMs);
}
