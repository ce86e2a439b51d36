// strata.showContainerLogs [container row | id]: the container's logs, followed, in a terminal
// (as `strata logs -f`).
import * as vscode from 'vscode';
import { LogsPty } from '../terminal/logs-pty';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { containerArg, pickContainer } from './targets';
import { CancelledError } from './wrap';

export async function showContainerLogs(s: Services, arg?: unknown) {
  const id = containerArg(arg) ?? (await pickContainer(s, 'Show the logs of which container?'));
  if (!id) throw new CancelledError();
  const pty = new LogsPty(s.helper, id);
  const terminal = vscode.window.createTerminal({ name: `logs ${shortId(id)}`, pty, iconPath: new vscode.ThemeIcon('output') });
  terminal.show();
  return { terminal, pty };
}
