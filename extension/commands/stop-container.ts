// strata.stopContainer [container row | id]: as `strata stop -t 3`.
import * as vscode from 'vscode';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { containerArg, pickContainer } from './targets';
import { CancelledError } from './wrap';

export async function stopContainer(s: Services, arg?: unknown) {
  const id = containerArg(arg) ?? (await pickContainer(s, 'Stop which container?', (running) => running));
  if (!id) throw new CancelledError();
  const client = await s.helper.client();
  // A shell as the container's first process ignores SIGTERM (pid 1 has no default handlers), so
  // it gets a few seconds and then SIGKILL, as `docker stop -t 3` would.
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `Stopping container ${shortId(id)}` },
    () => client.request('container.stop', { id, timeout: 3 }),
  );
  s.containers.refresh();
  return result;
}
