// strata.checkStore [{repair}]: `strata check [--repair]` in VS Code. The report opens as a
// read-only document (strata-check:, the same words as the CLI's, helper/protocol/check-report.ts).
// From the palette (no argument) a check that finds problems offers a Repair button; with an
// argument ({repair: true|false}, for keybindings, tasks and tests) nothing is asked.
import * as vscode from 'vscode';
import { checkReportText, problemsRemaining } from '../../helper/protocol/check-report';
import type { StoreCheckReport } from '../../helper/protocol/types';
import type { Services } from './services';

export const CHECK_SCHEME = 'strata-check';

/** The reports' texts, by URI: a content provider's documents are read-only. */
class Reports implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private count = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** A new URI for each report, so that an open editor never shows an older one under its name. */
  add(text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: CHECK_SCHEME, path: '/Store Check.txt', query: String(++this.count) });
    this.texts.clear();
    this.texts.set(uri.toString(), text);
    return uri;
  }
}

let reports: Reports | undefined;

function reportsFor(s: Services): Reports {
  if (!reports) {
    reports = new Reports();
    s.context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(CHECK_SCHEME, reports), { dispose: () => { reports = undefined; } });
  }
  return reports;
}

/** Shows the report, in place of the previous one's tab. */
async function show(s: Services, report: StoreCheckReport): Promise<vscode.TextDocument> {
  const uri = reportsFor(s).add(checkReportText(report));
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: false });
  // (Tabs are looked up after the new one opened: a Tab object from before may be stale by now.)
  const old = vscode.window.tabGroups.all.flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === CHECK_SCHEME && t.input.uri.toString() !== uri.toString());
  if (old.length) await vscode.window.tabGroups.close(old);
  return document;
}

export async function checkStore(s: Services, arg?: unknown): Promise<{ report: StoreCheckReport; document: vscode.TextDocument }> {
  const fromUser = arg === undefined;
  const repair = typeof arg === 'object' && arg !== null && (arg as { repair?: unknown }).repair === true;
  const client = await s.helper.client();
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: repair ? 'Strata: repairing the store…' : 'Strata: checking the store (every layer is read again)…' },
    () => client.request('store.check', { repair }),
  );
  const document = await show(s, report);
  if (report.problems.some((p) => p.repaired)) {
    s.images.refresh();
    s.containers.refresh();
  }
  const left = problemsRemaining(report);
  if (fromUser && left > 0 && !repair) {
    void vscode.window.showWarningMessage(`Strata: the store check found ${left} problem${left === 1 ? '' : 's'}.`, 'Repair').then((choice) => {
      if (choice === 'Repair') void vscode.commands.executeCommand('strata.checkStore', { repair: true });
    });
  }
  return { report, document };
}
