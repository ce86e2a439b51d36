// strata.createDebootstrapImage [suite] [variant] [name] [CancellationToken]: the article's first
// step, "the traditional debootstrap command", done by the helper: Debian's debootstrap into the
// store, imported as a one-layer image. A progress notification shows the stage and its count and
// has a Cancel button (the helper then kills debootstrap and keeps nothing). With arguments it asks
// nothing (keybindings, tasks, tests); a token given as the fourth one cancels it too.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Notifications } from '../../helper/protocol/methods';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { ask, validateImageRef } from './targets';
import { CancelledError } from './wrap';

const SUITES = [
  { label: 'bookworm', description: 'Debian 12 (default)' },
  { label: 'trixie', description: 'Debian 13' },
  { label: 'bullseye', description: 'Debian 11' },
];
const VARIANTS = [
  { label: 'minbase', description: 'required packages and apt only (default, ~170 MB)' },
  { label: 'buildd', description: 'minbase and build-essential' },
  { label: '-', description: "debootstrap's default set: required and important packages" },
] as const;
type Variant = (typeof VARIANTS)[number]['label'];

export interface DebootstrapResult {
  id: string;
  layer: string;
  name: string;
  packages: number;
  downloaded: number;
}

/** How far along, 0..100, from the stage and its count: the notification's bar. */
export function percentOf(p: Notifications['progress']): number | undefined {
  const span: Record<string, [number, number]> = {
    retrieving: [5, 35], validating: [5, 35], extracting: [35, 50], unpacking: [50, 65], configuring: [65, 85], importing: [85, 100],
  };
  const s = p.stage ? span[p.stage] : undefined;
  if (!s) return undefined;
  const part = p.total ? Math.min(1, (p.done ?? 0) / p.total) : 0;
  return s[0] + (s[1] - s[0]) * part;
}

async function pick<T extends vscode.QuickPickItem>(items: readonly T[], title: string): Promise<T> {
  const picked = await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true });
  if (!picked) throw new CancelledError();
  return picked;
}

export async function createDebootstrapImage(s: Services, suiteArg?: unknown, variantArg?: unknown, nameArg?: unknown, cancelArg?: unknown): Promise<DebootstrapResult> {
  const suite = typeof suiteArg === 'string' && suiteArg ? suiteArg : (await pick(SUITES, 'Create an image with debootstrap (1/3): the Debian suite')).label;
  const variant = (typeof variantArg === 'string' && variantArg ? variantArg : (await pick(VARIANTS, `debootstrap ${suite} (2/3): the variant`)).label) as Variant;
  const name = typeof nameArg === 'string'
    ? nameArg
    : await ask({ title: `debootstrap --variant=${variant} ${suite} (3/3)`, prompt: 'Name[:tag] of the new image', value: suite, validateInput: validateImageRef });
  const invalid = validateImageRef(name);
  if (invalid) throw new Error(`"${name}" is not a valid image name: ${invalid}`);
  const client = await s.helper.client();
  const given = cancelArg as vscode.CancellationToken | undefined;

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `debootstrap ${suite} → ${name || 'image'}`, cancellable: true },
    async (progress, cancel) => {
      const progressToken = randomBytes(16).toString('hex');
      let shown = 0;
      const sub = client.on('progress', (p) => {
        if (p.token !== progressToken) return;
        const percent = percentOf(p);
        const count = p.total ? ` ${p.done ?? 0}/${p.total}` : '';
        progress.report({ message: `${p.stage ?? ''}${count}: ${p.message}`, increment: percent !== undefined && percent > shown ? percent - shown : undefined });
        if (percent !== undefined) shown = Math.max(shown, percent);
      });
      // The notification's Cancel (or the caller's token) sends $/cancelRequest for the request.
      const both = new vscode.CancellationTokenSource();
      const links = [cancel.onCancellationRequested(() => both.cancel()), given?.onCancellationRequested?.(() => both.cancel())];
      if (cancel.isCancellationRequested || given?.isCancellationRequested) both.cancel();
      try {
        return await client.request('image.debootstrap', { suite, variant, name: name || undefined, progressToken }, both.token);
      } finally {
        sub.dispose();
        for (const l of links) l?.dispose();
        both.dispose();
      }
    },
  );
  s.log.info(`debootstrap ${suite} (${variant}) as ${name || '(no name)'}: image ${result.id}, ${result.packages} packages, ${result.downloaded} downloaded`);
  void vscode.window.showInformationMessage(`Strata: created ${name || shortId(result.id)} with debootstrap ${suite}: ${result.packages} packages (${result.downloaded} downloaded), one layer ${shortId(result.layer)}.`);
  const node = await s.images.findImage(result.id);
  if (node) await s.imagesView.reveal(node, { select: true, focus: false, expand: true });
  return { id: result.id, layer: result.layer, name, packages: result.packages, downloaded: result.downloaded };
}
