// Shared by the remove commands: a modal confirmation, and the {force} option of an argument call.
import * as vscode from 'vscode';
import { CancelledError } from './wrap';

export function forceOf(opts: unknown): boolean {
  return !!(opts && typeof opts === 'object' && (opts as { force?: unknown }).force === true);
}

export async function confirm(message: string, action: string): Promise<void> {
  if ((await vscode.window.showWarningMessage(message, { modal: true }, action)) !== action) throw new CancelledError();
}
