// strata.pauseContainer, strata.unpauseContainer, strata.restartContainer [container row | id]:
// as `strata pause`, `strata unpause` and `strata restart -t 3`.
import * as vscode from 'vscode';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { containerArg, pickContainer } from './targets';
import { CancelledError } from './wrap';

async function withContainer(s: Services, arg: unknown, question: string, title: string, act: (id: string) => Promise<unknown>) {
  const id = containerArg(arg) ?? (await pickContainer(s, question, (running) => running));
  if (!id) throw new CancelledError();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `${title} ${shortId(id)}` }, () => act(id));
  s.containers.refresh();
  return { id };
}

export function pauseContainer(s: Services, arg?: unknown) {
  return withContainer(s, arg, 'Pause which container?', 'Pausing container', async (id) => (await s.helper.client()).request('container.pause', { id }));
}

export function unpauseContainer(s: Services, arg?: unknown) {
  return withContainer(s, arg, 'Unpause which container?', 'Unpausing container', async (id) => (await s.helper.client()).request('container.unpause', { id }));
}

export function restartContainer(s: Services, arg?: unknown) {
  return withContainer(s, arg, 'Restart which container?', 'Restarting container', async (id) => {
    const client = await s.helper.client();
    // As Stop does: a few seconds for SIGTERM (a shell as pid 1 ignores it), then SIGKILL.
    await client.request('container.stop', { id, timeout: 3 });
    await client.request('container.start', { id });
  });
}
