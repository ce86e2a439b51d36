// What Container Tools users reach for on a container (issue 10, part B), each callable with a row,
// an id or name, or nothing (then the selected row of a focused Containers view, as F2 and Delete
// give it, else a pick):
//   strata.startContainer        as `strata start` (detached: "Attach" shows its terminal)
//   strata.killContainer [sig]   as `strata kill -s SIG` (default SIGKILL)
//   strata.attachContainer       a terminal on the container's own process (`strata attach`)
//   strata.execShell [shell]     a new shell process in it (`strata exec -it ID bash`)
//   strata.copyContainerId       its full id to the clipboard
//   strata.renameContainer [new] as `strata rename` (F2)
//   strata.pruneContainers       as `strata container prune` (every stopped container, confirmed)
import * as vscode from 'vscode';
import { ContainerNode } from '../tree/container-node';
import { shortId } from '../tree/format';
import { confirm } from './confirm';
import type { Services } from './services';
import { ask, containerArg, pickContainer } from './targets';
import { CancelledError } from './wrap';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The container a command acts on: the argument, else the selected row (a keybinding), else a pick. */
export async function targetContainer(s: Services, arg: unknown, question: string, filter?: (running: boolean) => boolean): Promise<string> {
  const given = containerArg(arg);
  if (given) return given;
  const selected = s.containersView.selection.find((n): n is ContainerNode => n instanceof ContainerNode);
  const id = selected?.containerId ?? (await pickContainer(s, question, filter));
  if (!id) throw new CancelledError();
  return id;
}

export async function startContainer(s: Services, arg?: unknown) {
  const id = await targetContainer(s, arg, 'Start which container?', (running) => !running);
  const client = await s.helper.client();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Starting container ${shortId(id)}` },
    () => client.request('container.start', { id }));
  s.containers.refresh();
  return { id: (await client.request('container.inspect', { id })).id };
}

export async function killContainer(s: Services, arg?: unknown, signalArg?: unknown) {
  const id = await targetContainer(s, arg, 'Kill which container?', (running) => running);
  const signal = typeof signalArg === 'string' && signalArg ? signalArg : 'SIGKILL';
  const result = await (await s.helper.client()).request('container.kill', { id, signal });
  s.containers.refresh();
  return result;
}

export async function attachContainer(s: Services, arg?: unknown) {
  const id = await targetContainer(s, arg, 'Attach to which container?', (running) => running);
  const opened = await s.shells.open({ container: id });
  return { containerId: opened.containerId, terminal: opened.terminal };
}

export async function execShell(s: Services, arg?: unknown, shellArg?: unknown) {
  const id = await targetContainer(s, arg, 'A shell in which running container?', (running) => running);
  const shell = typeof shellArg === 'string' && shellArg ? shellArg : undefined;
  const opened = await s.shells.open({ exec: id, ...(shell ? { shell } : {}) });
  return { containerId: opened.containerId, terminal: opened.terminal };
}

export async function copyContainerId(s: Services, arg?: unknown) {
  const id = await targetContainer(s, arg, 'Copy the id of which container?');
  const full = (await (await s.helper.client()).request('container.inspect', { id })).id;
  await vscode.env.clipboard.writeText(full);
  void vscode.window.setStatusBarMessage(`Strata: copied container id ${shortId(full)}…`, 3000);
  return { id: full };
}

export async function renameContainer(s: Services, arg?: unknown, nameArg?: unknown) {
  const id = await targetContainer(s, arg, 'Rename which container?');
  const client = await s.helper.client();
  const detail = await client.request('container.inspect', { id });
  const name = typeof nameArg === 'string'
    ? nameArg
    : await ask({ title: `Rename container ${shortId(detail.id)}`, prompt: 'Its new name', value: detail.name, validateInput: (v) => (NAME.test(v) ? undefined : 'Letters, digits and _ . -, starting with a letter or digit') });
  if (!NAME.test(name)) throw new Error(`"${name}" is not a container name (letters, digits and _ . -, starting with a letter or digit)`);
  const result = await client.request('container.rename', { id: detail.id, name });
  s.containers.refresh();
  return { ...result, name };
}

export async function pruneContainers(s: Services, opts?: unknown) {
  const client = await s.helper.client();
  const stopped = (await client.request('containers.list', { all: true })).filter((c) => c.status !== 'running');
  if (stopped.length === 0) {
    void vscode.window.showInformationMessage('Strata: no stopped container to remove.');
    return { deleted: [] as string[] };
  }
  const quiet = !!opts && typeof opts === 'object' && (opts as { confirmed?: unknown }).confirmed === true;
  if (!quiet) await confirm(`Remove ${stopped.length} stopped container${stopped.length === 1 ? '' : 's'} (${stopped.slice(0, 5).map((c) => c.name).join(', ')}${stopped.length > 5 ? ', …' : ''}) and their changes? Commit first to keep them.`, 'Remove');
  const result = await client.request('containers.prune', {});
  for (const deleted of result.deleted) s.changes.forgetContainer(deleted);
  s.containers.refresh();
  void vscode.window.showInformationMessage(`Strata: removed ${result.deleted.length} stopped container${result.deleted.length === 1 ? '' : 's'}.`);
  return result;
}
