// A container with a terminal, driven only through the shim (fd 0 in, fd 1 out, resize on the
// control channel): the container's own pty, its size and resizes, and job control: Ctrl-C
// interrupts the foreground job of an interactive shell and the shell lives on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../../helper/runtime';
import { existingCgroupDirs } from '../../helper/runtime/cgroups';
import { eventually, makeRuntimeStore, Output, runToEnd, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
before(async () => (store = await makeRuntimeStore()));
after(() => store.dispose());

/** Host pids of the container's processes running `cmdline` (NUL-separated argv). */
function processesRunning(id: string, cmdline: string): number[] {
  const dir = existingCgroupDirs(id)[0];
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === cmdline;
    } catch {
      return false;
    }
  });
}

/** True when the process is its terminal's foreground job (stat: pgrp == tpgid). */
function inForeground(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[2] === fields[5]; // pgrp, tpgid
}

test('the terminal is the container\'s own /dev/pts/0, and stdout carries it', async () => {
  const r = await runToEnd(store.spec({ cmd: ['tty'], tty: true }));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '/dev/pts/0\r\n');
  assert.equal(r.stderr, '');
});

test('stdin, stdout and stderr are all the terminal', async () => {
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', 'for fd in 0 1 2; do readlink /proc/self/fd/$fd; done; echo to-stderr >&2'], tty: true }));
  assert.equal(r.stdout, '/dev/pts/0\r\n/dev/pts/0\r\n/dev/pts/0\r\nto-stderr\r\n');
});

test('stty size shows the size given and follows resize()', async () => {
  const proc = await launch(store.spec({ cmd: ['sh'], tty: true, openStdin: true, size: { cols: 77, rows: 22 } }));
  const out = new Output(proc.stdout);
  proc.stdin!.write('stty size\n');
  await out.waitFor(/^22 77\r$/m);
  const mark = out.text.length;
  proc.resize(100, 30);
  proc.stdin!.write('stty size\n');
  await out.waitFor(/^30 100\r$/m, mark);
  proc.stdin!.write('exit 5\n');
  assert.equal(await proc.exited, 5);
});

test('Ctrl-C interrupts the foreground sleep; the shell survives', async () => {
  const spec = store.spec({ cmd: ['sh'], tty: true, openStdin: true });
  const proc = await launch(spec);
  const out = new Output(proc.stdout);
  proc.stdin!.write('sleep 100\n');
  await eventually('sleep 100 in the foreground', () => {
    const found = processesRunning(spec.id, 'sleep\x00100\x00');
    return found.length === 1 && inForeground(found[0]) ? found : undefined;
  });
  proc.stdin!.write('\x03');
  await eventually('sleep to end', () => processesRunning(spec.id, 'sleep\x00100\x00').length === 0 || undefined);
  const mark = out.text.length;
  proc.stdin!.write('echo alive $((1+1))\n');
  await out.waitFor(/alive 2\r\n/, mark); // the echo of the input shows "$((1+1))", only the shell prints 2
  proc.stdin!.write('exit\n');
  assert.equal(await proc.exited, 0);
  assert.match(out.text, /\^C/);
});

test('all output written before the exit arrives', async () => {
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done'], tty: true }));
  const lines = r.stdout.split('\r\n').filter(Boolean);
  assert.equal(lines.length, 2000);
  assert.equal(lines[1999], 'line1999');
});
