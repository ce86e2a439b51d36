/// <reference types="mocha" />
// Issue 10, items 1-3, as a new user met them: on a Debian-like image (dash as /bin/sh, and bash)
// "Open Shell" must show `root@<short id>:/# `, not dash printing a bash-style `\u@\h:\w\$ `; the
// shell is picked as Container Tools picks it (bash when the image has it), strata.shell and
// "Open Shell With…" choose another, and its prompt is one that shell expands. A shell opened from
// the terminal's + menu is the terminal shown. Stopping a container whose shell is open ends it
// quietly, with a line in the terminal and no "terminated with exit code 137" toast.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { ContainerPty } from '../../extension/terminal/container-pty';
import { outerHTML, screenshot, visibleRows } from './support/browser';
import { api, cli, setSetting, sleep, waitFor } from './support/strata';

/** The shared libraries a program needs, as ldd lists them (absolute paths). */
function librariesOf(program: string): string[] {
  return execFileSync('ldd', [program], { encoding: 'utf8' }).split('\n')
    .map((l) => /(\/\S+) \(0x/.exec(l)?.[1]).filter((p): p is string => !!p);
}

/** A root fs with Debian's dash as /bin/sh and bash beside it (what debootstrap gives, in small), as a tar. */
function dashAndBashTar(): string {
  const work = mkdtempSync(join(tmpdir(), 'strata-debianish-'));
  const root = join(work, 'rootfs');
  for (const d of ['bin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(root, d), { recursive: true });
  for (const program of ['/bin/dash', '/bin/bash']) {
    copyFileSync(realpathSync(program), join(root, program));
    for (const lib of librariesOf(program)) {
      mkdirSync(join(root, dirname(lib)), { recursive: true });
      copyFileSync(realpathSync(lib), join(root, lib));
    }
  }
  symlinkSync('dash', join(root, 'bin/sh'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  const tar = join(work, 'debianish.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  rmSync(root, { recursive: true, force: true });
  return tar;
}

type Opened = { containerId: string; terminal: vscode.Terminal };

/** The container's command, as `strata inspect` (Docker's shape: Path and Args) says it. */
function commandOf(id: string): string {
  const c = JSON.parse(cli('inspect', id))[0] as { Path: string; Args: string[] };
  return [c.Path, ...c.Args].join(' ');
}

async function ptyOf(terminal: vscode.Terminal): Promise<ContainerPty> {
  const strata = await api();
  return waitFor('the terminal\'s pty', () => strata.shells.ptyOf(terminal));
}

/** The prompt a Debian user gets, exactly, as the terminal shows it (escape sequences aside). */
function showsPrompt(pty: ContainerPty, prompt: string): boolean {
  // eslint-disable-next-line no-control-regex
  return pty.transcript().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').includes(prompt);
}

suite('a new user\'s shell', () => {
  const opened: vscode.Terminal[] = [];

  suiteSetup(async function () {
    this.timeout(120_000);
    cli('busybox');
    cli('import', dashAndBashTar(), 'debianish:12');
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  suiteTeardown(async () => {
    for (const t of opened) t.dispose();
    await setSetting('strata.shell', undefined);
    for (const id of cli('ps', '-q').trim().split('\n').filter(Boolean)) cli('rm', '-f', id);
  });

  test('"Open Shell" on a Debian-like image runs bash, and the prompt reads root@<short id>:/# ', async () => {
    const { containerId, terminal } = (await vscode.commands.executeCommand('strata.openShell', 'debianish:12')) as Opened;
    opened.push(terminal);
    const pty = await ptyOf(terminal);
    const short = containerId.slice(0, 12);
    await waitFor(`the prompt root@${short}:/# (the terminal shows ${JSON.stringify(pty.transcript())})`, () => showsPrompt(pty, `root@${short}:/# `));
    assert.ok(!pty.transcript().includes('\\u@\\h'), 'no unexpanded escapes');
    terminal.sendText('echo "shell=$0 bash=$BASH_VERSION"');
    await waitFor('the shell says which it is', () => /shell=\/bin\/bash bash=5\./.test(pty.transcript()));
    assert.equal(commandOf(containerId), '/bin/bash');
    await sleep(300);
    await screenshot('shell-debian-prompt');
  });

  test('dash, chosen with "Open Shell With…", gets a prompt it expands, and it follows cd', async () => {
    const { containerId, terminal } = (await vscode.commands.executeCommand('strata.openShellWith', 'debianish:12', '/bin/sh')) as Opened;
    opened.push(terminal);
    const pty = await ptyOf(terminal);
    const short = containerId.slice(0, 12);
    await waitFor(`the prompt root@${short}:/# (the terminal shows ${JSON.stringify(pty.transcript())})`, () => showsPrompt(pty, `root@${short}:/# `));
    terminal.sendText('cd /etc');
    await waitFor('the prompt after cd', () => showsPrompt(pty, `root@${short}:/etc# `));
    assert.ok(!pty.transcript().includes('\\u'), 'no unexpanded escapes');
    assert.equal(commandOf(containerId), '/bin/sh');
  });

  test('strata.shell names the shell "Open Shell" runs; busybox\'s prompt reads the same', async () => {
    await setSetting('strata.shell', '/bin/sh');
    const deb = (await vscode.commands.executeCommand('strata.openShell', { image: 'debianish:12' })) as Opened;
    opened.push(deb.terminal);
    assert.equal(commandOf(deb.containerId), '/bin/sh');
    const debPty = await ptyOf(deb.terminal);
    await waitFor('dash\'s prompt', () => showsPrompt(debPty, `root@${deb.containerId.slice(0, 12)}:/# `));
    await setSetting('strata.shell', undefined);
    const bb = (await vscode.commands.executeCommand('strata.openShell', 'busybox:latest')) as Opened;
    opened.push(bb.terminal);
    const bbPty = await ptyOf(bb.terminal);
    await waitFor('busybox\'s prompt', () => showsPrompt(bbPty, `root@${bb.containerId.slice(0, 12)}:/# `));
  });

  test('a shell from the terminal\'s + menu is the terminal shown, as one from the command is', async () => {
    const strata = await api();
    const other = vscode.window.createTerminal({ name: 'other terminal' });
    opened.push(other);
    other.show();
    await waitFor('the other terminal shown', () => vscode.window.activeTerminal === other);
    await setSetting('strata.defaultImage', 'debianish:12');
    try {
      const made = new Promise<vscode.Terminal>((resolve) => {
        const sub = vscode.window.onDidOpenTerminal((t) => { if (t !== other) { sub.dispose(); resolve(t); } });
      });
      // What the + menu runs for the profile; it shows nothing by itself.
      await vscode.commands.executeCommand('workbench.action.terminal.newWithProfile', {
        config: { extensionIdentifier: 'strata.strata', id: 'strata.containerShell', title: 'Strata container shell' },
      });
      const terminal = await made;
      opened.push(terminal);
      const pty = await waitFor('its pty', () => strata.shells.ptyOf(terminal));
      const { containerId } = await pty.ready;
      await waitFor('the new shell is the active terminal', () => vscode.window.activeTerminal === terminal, 5000);
      // What the user sees: the panel shows the new shell, not the other terminal. (The terminal draws
      // on a canvas; the shown one is the active wrapper, whose input is labelled with its name.)
      const shown = async () => (await outerHTML('.terminal-wrapper.active .xterm-helper-textarea', 500)).map((h) => /aria-label="Terminal \d+, ([^\n"]*)/.exec(h)?.[1]);
      await waitFor('the panel showing the new shell', async () => (await shown()).some((name) => name?.startsWith('strata ')), 5000)
        .catch(async (err: Error) => assert.fail(`${err.message}; the panel shows ${JSON.stringify(await shown())}`));
      await pty.ready;
      await sleep(300);
      await screenshot('shell-from-plus-menu');
      assert.ok(containerId);
    } finally {
      await setSetting('strata.defaultImage', undefined);
    }
  });

  test('stopping a container whose shell is open: a line in its terminal, no error toast', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    const { containerId, terminal } = (await vscode.commands.executeCommand('strata.openShell', 'busybox:latest')) as Opened;
    opened.push(terminal);
    const pty = await ptyOf(terminal);
    const short = containerId.slice(0, 12);
    await waitFor('the prompt', () => showsPrompt(pty, `root@${short}:/# `));
    await vscode.commands.executeCommand('strata.stopContainer', containerId);
    await waitFor('the line saying it stopped', () => pty.transcript().includes(`container ${short} stopped`));
    assert.equal(pty.stopped, true);
    // The workbench's toast for a terminal that ended with an error code would come now.
    await sleep(1500);
    const toasts = await visibleRows('.notification-toast', { timeoutMs: 0 });
    assert.deepEqual(toasts.filter((t) => /terminated with exit code/.test(t)), [], `toasts: ${JSON.stringify(toasts)}`);
    assert.ok(vscode.window.terminals.includes(terminal), 'the terminal stays, showing the line');
    await screenshot('shell-stopped-quietly');
    terminal.sendText('x', false);
    await waitFor('a key closes it', () => !vscode.window.terminals.includes(terminal));
  });
});
