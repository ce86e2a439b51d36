/// <reference types="mocha" />
// Issue 10, part B: what a Container Tools user reaches for on a container, each through its
// command with arguments, and on the right rows of the Containers view (the menus' `when` clauses
// read against each row's contextValue): Start, Kill, Attach (its own process) and Exec Shell (a new
// one), Inspect (read-only JSON on a strata-inspect: URI, read again after a change), Copy ID,
// Rename (F2 on the selected row), Prune Stopped Containers, Show Processes and Stats (live).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerPty } from '../../extension/terminal/container-pty';
import { screenshot } from './support/browser';
import { api, cli, closeAllEditors, EXTENSION_ID, sleep, waitFor } from './support/strata';

type MenuItem = { command: string; when?: string; group?: string };

/** Whether a `when` clause of the forms package.json uses (==, !=, =~ /re/, &&, ||) holds. */
function holds(when: string | undefined, context: Record<string, string>): boolean {
  if (!when) return true;
  return when.split('||').some((any) => any.split('&&').every((term) => {
    const t = term.trim();
    if (t === 'false') return false;
    let m = /^(\S+) =~ \/(.*)\/$/.exec(t);
    if (m) return new RegExp(m[2]).test(context[m[1]] ?? '');
    m = /^(\S+) (==|!=) (\S+)$/.exec(t);
    if (m) return (context[m[1]] === m[3]) === (m[2] === '==');
    throw new Error(`a when clause this test cannot read: ${t}`);
  }));
}

/** The commands the right-click menu of a row with this contextValue offers, in a view. */
function rowMenu(view: string, viewItem: string): string[] {
  const items = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus['view/item/context'] as MenuItem[];
  return items.filter((i) => holds(i.when, { view, viewItem })).map((i) => i.command);
}

/** What `strata inspect` (Docker's shape) says of a container. */
function inspectOf(id: string): { id: string; name: string; status: string; exitCode: number | null } {
  const c = JSON.parse(cli('inspect', id))[0] as { Id: string; Name: string; State: { Status: string; ExitCode: number } };
  return { id: c.Id, name: c.Name.replace(/^\//, ''), status: c.State.Status, exitCode: c.State.ExitCode };
}

async function shellOf(opened: { terminal: vscode.Terminal }): Promise<ContainerPty> {
  const strata = await api();
  return waitFor('the terminal\'s pty', () => strata.shells.ptyOf(opened.terminal));
}

suite('container actions', () => {
  const made: string[] = [];
  const terminals: vscode.Terminal[] = [];

  suiteSetup(() => {
    cli('busybox');
  });

  suiteTeardown(async () => {
    for (const t of terminals) t.dispose();
    await closeAllEditors();
    for (const id of made) { try { cli('rm', '-f', id); } catch { /* removed by the test */ } }
  });

  test('each action is on the rows it fits: Start on stopped ones, Kill, Attach, Exec, Processes and Stats on running ones', () => {
    const running = rowMenu('strata.containers', 'container.running');
    const exited = rowMenu('strata.containers', 'container.exited');
    for (const c of ['strata.killContainer', 'strata.attachContainer', 'strata.execShell', 'strata.showProcesses', 'strata.containerStats', 'strata.stopContainer']) {
      assert.ok(running.includes(c), `${c} on a running container`);
      assert.ok(!exited.includes(c), `${c} not on a stopped one`);
    }
    assert.ok(exited.includes('strata.startContainer') && !running.includes('strata.startContainer'), 'Start only on a stopped container');
    for (const c of ['strata.inspectContainer', 'strata.copyContainerId', 'strata.renameContainer', 'strata.removeContainer']) {
      assert.ok(running.includes(c) && exited.includes(c) && rowMenu('strata.containers', 'container.created').includes(c), `${c} on every container`);
    }
    assert.ok(rowMenu('strata.images', 'image').includes('strata.inspectImage'));
    assert.deepEqual(rowMenu('strata.images', 'layer').filter((c) => /Container|inspect/.test(c)), []);
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
    const titleMenu = manifest.menus['view/title'] as MenuItem[];
    assert.ok(titleMenu.some((i) => i.command === 'strata.pruneContainers' && holds(i.when, { view: 'strata.containers' })));
    const keys = manifest.keybindings as { command: string; key: string; when: string }[];
    assert.ok(keys.some((k) => k.command === 'strata.renameContainer' && k.key === 'f2' && k.when.includes('strata.containers')), 'F2 renames');
    assert.ok(keys.some((k) => k.command === 'strata.removeContainer' && k.key === 'delete'), 'Delete removes');
  });

  test('Start starts a created container; Kill ends it with SIGKILL', async () => {
    const id = cli('create', 'busybox:latest', 'sleep', '300').trim();
    made.push(id);
    const started = (await vscode.commands.executeCommand('strata.startContainer', id)) as { id: string };
    assert.equal(started.id, id);
    assert.equal(inspectOf(id).status, 'running');
    await vscode.commands.executeCommand('strata.killContainer', id);
    await waitFor('the container to stop', () => inspectOf(id).status === 'exited');
    assert.equal(inspectOf(id).exitCode, 137);
  });

  test('Attach reaches the container\'s own process; Exec Shell starts another one beside it', async () => {
    const id = cli('run', '-d', '-i', '-t', 'busybox:latest', '/bin/sh').trim();
    made.push(id);
    const attached = (await vscode.commands.executeCommand('strata.attachContainer', id)) as { terminal: vscode.Terminal };
    terminals.push(attached.terminal);
    attached.terminal.sendText('echo "pid $$" > /attached');
    const exec = (await vscode.commands.executeCommand('strata.execShell', id)) as { terminal: vscode.Terminal };
    terminals.push(exec.terminal);
    const execPty = await shellOf(exec);
    await waitFor('the exec shell\'s prompt', () => execPty.transcript().includes(`root@${id.slice(0, 12)}:/# `));
    exec.terminal.sendText('echo "pid $$" > /execd');
    await waitFor('both files', () => /A \/attached/.test(cli('diff', id)) && /A \/execd/.test(cli('diff', id)));
    assert.equal(cli('exec', id, 'cat', '/attached').trim(), 'pid 1', 'attach types into the container\'s first process');
    assert.notEqual(cli('exec', id, 'cat', '/execd').trim(), 'pid 1', 'exec runs a new process');
    // Leaving the exec'd shell leaves the container running.
    exec.terminal.sendText('exit');
    await waitFor('the exec terminal to close', () => !vscode.window.terminals.includes(exec.terminal));
    assert.equal(inspectOf(id).status, 'running');
  });

  test('Inspect opens the container\'s JSON read-only on strata-inspect: (what strata inspect prints, Docker\'s shape), read again after a rename (F2)', async () => {
    const strata = await api();
    const id = cli('run', '-d', '--name', 'to_rename', 'busybox:latest', 'sleep', '300').trim();
    made.push(id);
    const { uri } = (await vscode.commands.executeCommand('strata.inspectContainer', id)) as { uri: vscode.Uri };
    assert.equal(uri.scheme, 'strata-inspect');
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.languageId, 'json');
    assert.equal(doc.getText(), cli('inspect', id), 'the document strata inspect prints');
    assert.equal(JSON.parse(doc.getText())[0].Name, '/to_rename');
    // F2 on the selected row runs strata.renameContainer with no argument (the name here given, as the input box would).
    strata.containers.refresh();
    const node = await waitFor('the row', () => strata.containers.findContainer(id));
    await vscode.commands.executeCommand('strata.containers.focus');
    await strata.containersView.reveal(node, { select: true, focus: true });
    await waitFor('the row selected', () => strata.containersView.selection.includes(node));
    await vscode.commands.executeCommand('strata.renameContainer', undefined, 'renamed_by_f2');
    assert.equal(inspectOf(id).name, 'renamed_by_f2');
    await waitFor('the inspect read again', () => JSON.parse(doc.getText())[0].Name === '/renamed_by_f2');
    await sleep(300);
    await screenshot('container-inspect');
  });

  test('Inspect Image shows what strata inspect prints of it (less the layers\' tar check, which reads every layer)', async () => {
    const { uri } = (await vscode.commands.executeCommand('strata.inspectImage', 'busybox:latest')) as { uri: vscode.Uri };
    const shown = JSON.parse((await vscode.workspace.openTextDocument(uri)).getText()) as { Id: string; RepoTags: string[]; Strata: { Layers: Record<string, unknown>[] } }[];
    const printed = JSON.parse(cli('inspect', '--type', 'image', 'busybox:latest')) as typeof shown;
    for (const layer of printed[0].Strata.Layers) delete layer.TarVerified;
    assert.deepEqual(shown, printed);
    assert.ok(shown[0].RepoTags.includes('busybox:latest'));
  });

  test('Copy ID puts the full id on the clipboard', async () => {
    const id = cli('create', 'busybox:latest', 'true').trim();
    made.push(id);
    const result = (await vscode.commands.executeCommand('strata.copyContainerId', id.slice(0, 12))) as { id: string };
    assert.equal(result.id, id);
    assert.equal(await vscode.env.clipboard.readText(), id);
  });

  test('Show Processes lists its processes, pid 1 first; Stats shows memory and tasks against the limits, live', async () => {
    const strata = await api();
    const id = cli('run', '-d', '-m', '64m', '--pids-limit', '50', 'busybox:latest', 'sleep', '300').trim();
    made.push(id);
    const top = (await vscode.commands.executeCommand('strata.showProcesses', id)) as { uri: vscode.Uri };
    const topText = (await vscode.workspace.openTextDocument(top.uri)).getText();
    assert.match(topText, /^PID\s+CONTAINER PID\s+PPID/);
    assert.match(topText, /\n\d+\s+1\s+\d+\s+0\s+.*sleep 300/);
    const stats = (await vscode.commands.executeCommand('strata.containerStats', id)) as { uri: vscode.Uri };
    const doc = await vscode.workspace.openTextDocument(stats.uri);
    assert.match(doc.getText(), /MEMORY\s+[\d.]+ [kM]?B of 67\.1 MB \([\d.]+%\)/);
    assert.match(doc.getText(), /TASKS\s+1 of 50 \(2\.0%\)/);
    const first = doc.getText();
    await waitFor('the stats read again while shown', () => doc.getText() !== first, 5000);
    assert.match(doc.getText(), /CPU\s+[\d.]+%/);
    await screenshot('container-stats');
    // Removed while shown: the document says so and is not read again (it asked each second before).
    cli('rm', '-f', id);
    await waitFor('the stats saying the container is gone', () => doc.getText().includes('no longer updated'), 10_000);
    const client = await strata.helper.client();
    const request = client.request;
    let asked = 0;
    client.request = ((method: string, ...rest: unknown[]) => {
      if (method === 'containers.stats') asked++;
      return (request as (...a: unknown[]) => unknown).call(client, method, ...rest);
    }) as typeof client.request;
    try {
      await sleep(3000);
    } finally {
      client.request = request;
    }
    assert.equal(asked, 0, 'a removed container\'s stats are not asked for again');
  });

  test('Prune Stopped Containers removes every stopped container and leaves the running ones', async () => {
    const stopped = [cli('create', 'busybox:latest', 'true').trim(), cli('create', 'busybox:latest', 'true').trim()];
    const running = cli('run', '-d', 'busybox:latest', 'sleep', '300').trim();
    made.push(running);
    const result = (await vscode.commands.executeCommand('strata.pruneContainers', { confirmed: true })) as { deleted: string[] };
    for (const id of stopped) assert.ok(result.deleted.includes(id), `${id} pruned`);
    const left = cli('ps', '-a', '-q').trim().split('\n');
    assert.ok(left.includes(running.slice(0, 12)) && !stopped.some((id) => left.includes(id.slice(0, 12))), `left: ${left.join(' ')}`);
  });
});
