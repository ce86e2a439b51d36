// A push or pull as a notification with a Cancel button: one message per layer event as Docker
// prints it ("abc123: Pushed"), the bar advanced as layers finish.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { StrataClient } from '../../helper/protocol/client';

const START = new Set(['Preparing', 'Pulling fs layer', 'Already exists']);
const DONE = new Set(['Pushed', 'Layer already exists', 'Mounted', 'Pull complete', 'Already exists']);

export async function withLayerProgress<T>(client: StrataClient, title: string, given: vscode.CancellationToken | undefined, run: (progressToken: string, token: vscode.CancellationToken) => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, cancel) => {
    const progressToken = randomBytes(16).toString('hex');
    const layers = new Set<string>();
    const done = new Set<string>();
    const sub = client.on('progress', (p) => {
      if (p.token !== progressToken) return;
      if (p.id && START.has(p.stage ?? '')) layers.add(p.id);
      let increment: number | undefined;
      if (p.id && DONE.has(p.stage ?? '') && !done.has(p.id) && layers.size) {
        done.add(p.id);
        increment = 100 / layers.size;
      }
      const bytes = p.total ? ` ${((p.done ?? 0) / 1e6).toFixed(1)}/${(p.total / 1e6).toFixed(1)} MB` : '';
      progress.report({ message: `${p.message}${bytes}`, increment });
    });
    const both = new vscode.CancellationTokenSource();
    const links = [cancel.onCancellationRequested(() => both.cancel()), given?.onCancellationRequested?.(() => both.cancel())];
    if (cancel.isCancellationRequested || given?.isCancellationRequested) both.cancel();
    try {
      return await run(progressToken, both.token);
    } finally {
      sub.dispose();
      for (const l of links) l?.dispose();
      both.dispose();
    }
  });
}
