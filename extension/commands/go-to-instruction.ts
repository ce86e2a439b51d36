// strata.goToInstruction [layer row | chain id]: opens the Dockerfile a layer was built from at the
// instruction that made it (known for builds run from this VS Code: tree/build-records.ts).
import * as vscode from 'vscode';
import { buildRecords } from '../tree/build-records';
import type { Services } from './services';
import { resolveLayer } from './targets';
import { CancelledError } from './wrap';

export async function goToInstruction(s: Services, arg?: unknown): Promise<vscode.TextEditor> {
  const layer = await resolveLayer(s, arg);
  if (!layer) throw new CancelledError();
  const record = buildRecords.get(layer.id);
  if (!record) throw new Error(`layer ${layer.id.slice(7, 19)} was not built from a Dockerfile in this VS Code: no instruction to go to`);
  const line = Math.max(0, record.line - 1);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(record.file));
  const editor = await vscode.window.showTextDocument(doc, { selection: new vscode.Range(line, 0, line, doc.lineAt(Math.min(line, doc.lineCount - 1)).text.length) });
  editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}
