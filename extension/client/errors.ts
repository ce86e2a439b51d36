// Errors of the connection to the helper, worded so that the user knows what to do next.
import type { LaunchMode } from './launch';

export class HelperUnavailableError extends Error {
  constructor(message: string, readonly tried: { mode: LaunchMode; why: string }[]) {
    super(message);
    this.name = 'HelperUnavailableError';
  }
}

/** What to do when no way to the helper worked, for the message and the log. */
export function adviceFor(tried: { mode: LaunchMode; why: string }[], helperCommand: string, helperScript: string, socket: string): string {
  const modes = tried.map((t) => t.mode);
  if (modes.length === 1 && modes[0] === 'socket') {
    return `Start the helper as a service (\`sudo node ${helperScript} --socket ${socket || '/run/strata.sock'}\`, then give your group the socket with chgrp and chmod 660), or clear strata.helper.socket.`;
  }
  if (modes.length === 1 && modes[0] === 'direct') return 'Run VS Code as root, or set strata.helper.launch to auto.';
  return `Strata needs root to run containers: allow \`sudo -n ${helperCommand}\` for your user (a sudoers rule), `
    + 'use pkexec in a desktop session, or run a helper service and set strata.helper.socket (see the README).';
}

/**
 * The protocol's error classes, told apart by name: the client module (and vscode-jsonrpc with
 * it) loads only when the helper is first needed, so activation must not import it for instanceof.
 */
export function requestErrorCode(err: unknown): number | undefined {
  return err instanceof Error && err.name === 'StrataRequestError' ? (err as Error & { code: number }).code : undefined;
}

export function isConnectionLost(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConnectionLostError';
}
