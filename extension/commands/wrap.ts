// Every command runs through here: an error becomes a message the user can act on (never a
// silent failure or a stack trace), goes to the log, and is announced on onDidReport (which the
// tests listen to). A cancelled operation is not an error.
import * as vscode from 'vscode';
import { ErrorCode } from '../../helper/protocol/errors';
import { HelperUnavailableError, isConnectionLost, requestErrorCode } from '../client/errors';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

export interface ReportedError {
  what: string;
  message: string;
  /** The toast's buttons. */
  actions: string[];
}

/** The button that opens the "Strata" output channel: named as its command is ("Show Strata Log"), not "Show Log". */
export const SHOW_LOG = 'Show Strata Log';

export class ErrorReporter implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ReportedError>();
  readonly onDidReport = this.emitter.event;
  readonly recent: ReportedError[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Shows `err` as a message; `what` says what was being done ("Import a root filesystem tarball"). */
  report(err: unknown, what: string): void {
    // Escape in a dialog: the user knows. Work stopped with a Cancel button: say it stopped cleanly.
    if (err instanceof CancelledError) {
      this.log.info(`${what}: cancelled`);
      return;
    }
    if (requestErrorCode(err) === ErrorCode.Cancelled) {
      this.log.info(`${what}: cancelled (${(err as Error).message})`);
      void vscode.window.showInformationMessage(`Strata: ${what}: cancelled; nothing was kept.`);
      return;
    }
    let message: string;
    let actions: string[] = [SHOW_LOG];
    if (err instanceof HelperUnavailableError) {
      message = err.message;
      actions = ['Retry', SHOW_LOG, 'Open Settings'];
    } else if (isConnectionLost(err)) {
      message = `Strata: ${what} failed: the helper went away (it stopped or crashed). Retry to start it again.`;
      actions = ['Retry', SHOW_LOG];
    } else {
      const text = err instanceof Error ? err.message : String(err);
      message = `Strata: ${what} failed: ${text}`;
    }
    this.log.error(message);
    if (err instanceof Error && requestErrorCode(err) === undefined && err.stack) this.log.debug(err.stack);
    const reported = { what, message, actions };
    this.recent.push(reported);
    if (this.recent.length > 20) this.recent.shift();
    this.emitter.fire(reported);
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === SHOW_LOG) void vscode.commands.executeCommand('strata.showLog');
      else if (choice === 'Retry') void vscode.commands.executeCommand('strata.refresh');
      else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'strata.');
    });
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** A command handler that reports its errors instead of throwing them at VS Code. */
export function wrap<A extends unknown[], R>(errors: ErrorReporter, what: string, fn: (...args: A) => Promise<R> | R): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      errors.report(err, what);
      return undefined;
    }
  };
}
