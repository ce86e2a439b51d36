// What `docker run` users expect of exit codes and stdio: the command's own code, 127/126 with
// Docker's messages when the command cannot run, 128+n when killed by signal n, stdin and
// stdout/stderr as separate streams, and nothing left behind (cgroups) once the container ended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { launch, ContainerStartError } from '../../helper/runtime';
import { ErrorCode } from '../../helper/protocol/errors';
import { existingCgroupDirs } from '../../helper/runtime/cgroups';
import { finish, makeRuntimeStore, runToEnd, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
before(async () => (store = await makeRuntimeStore()));
after(() => store.dispose());

test('the exit code is the command\'s', async () => {
  assert.equal((await runToEnd(store.spec({ cmd: ['sh', '-c', 'exit 3'] }))).code, 3);
  assert.equal((await runToEnd(store.spec({ cmd: ['true'] }))).code, 0);
});

test('an unknown command fails to start with 127 and Docker\'s message', async () => {
  await assert.rejects(launch(store.spec({ cmd: ['nope'] })), (err: unknown) => {
    assert.ok(err instanceof ContainerStartError);
    assert.equal(err.code, ErrorCode.RuntimeFailed);
    assert.equal(err.exitCode, 127);
    assert.match(err.message, /exec: "nope": executable file not found in \$PATH/);
    return true;
  });
  await assert.rejects(launch(store.spec({ cmd: ['/usr/bin/nope'] })), (err: ContainerStartError) => {
    assert.equal(err.exitCode, 127);
    assert.match(err.message, /exec: \/usr\/bin\/nope: No such file or directory/);
    return true;
  });
});

test('a file that is not executable fails to start with 126', async () => {
  await assert.rejects(launch(store.spec({ cmd: ['/etc/passwd'] })), (err: ContainerStartError) => {
    assert.equal(err.exitCode, 126);
    assert.match(err.message, /exec: \/etc\/passwd: Permission denied/);
    return true;
  });
});

test('an unknown user fails to start with 125', async () => {
  await assert.rejects(launch(store.spec({ user: 'bob' })), (err: ContainerStartError) => {
    assert.equal(err.exitCode, 125);
    assert.match(err.message, /unable to find user bob/);
    return true;
  });
});

test('killed by a signal: 128 + the signal\'s number', async () => {
  const proc = await launch(store.spec({ cmd: ['sleep', '100'] }));
  proc.signal('SIGKILL');
  assert.equal(await proc.exited, 137);
  // pid 1 of a namespace ignores signals it has no handler for, but a shell's trap works
  const trapping = await launch(store.spec({ cmd: ['sh', '-c', 'trap "exit 42" TERM; echo ready; while :; do sleep 1; done'] }));
  const done = finish(trapping);
  await waitForText(trapping.stdout, 'ready');
  trapping.signal('SIGTERM');
  assert.equal((await done).code, 42);
});

test('stdin reaches the command; stdout and stderr stay apart', async () => {
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', 'read line; echo "out:$line"; echo "err:$line" >&2'], openStdin: true }), 'hello\n');
  assert.deepEqual(r, { code: 0, stdout: 'out:hello\n', stderr: 'err:hello\n' });
});

test('without openStdin the command reads an empty stdin', async () => {
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', 'cat; echo end'] }));
  assert.equal(r.stdout, 'end\n');
});

test('environment, user and working directory are exactly what was asked, plus HOME from passwd as Docker does', async () => {
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', 'env | sort; pwd; id'], env: ['PATH=/bin', 'A=1'], cwd: '/made/for/you', user: 'daemon' }));
  // groups=: the primary group is a supplementary one too, as Docker gives it (CVE-2022-36109).
  assert.equal(r.stdout, 'A=1\nHOME=/usr/sbin\nPATH=/bin\nPWD=/made/for/you\nSHLVL=1\n/made/for/you\nuid=1(daemon) gid=1(daemon) groups=1(daemon)\n');
  const given = await runToEnd(store.spec({ cmd: ['sh', '-c', 'echo $HOME'], env: ['PATH=/bin', 'HOME=/srv'] }));
  assert.equal(given.stdout, '/srv\n', 'a HOME that was given is kept');
  const unknown = await runToEnd(store.spec({ cmd: ['sh', '-c', 'echo $HOME'], env: ['PATH=/bin'], user: '4242' }));
  assert.equal(unknown.stdout, '/\n', 'a uid without a passwd entry gets HOME=/');
});

test('the container\'s cgroups are gone once it has exited', async () => {
  const spec = store.spec({ cmd: ['sleep', '100'] });
  const proc = await launch(spec);
  const dirs = existingCgroupDirs(spec.id);
  assert.ok(dirs.length > 0);
  proc.signal('SIGKILL');
  await proc.exited;
  for (const d of dirs) assert.equal(existsSync(d), false, `${d} removed`);
});

async function waitForText(stream: NodeJS.ReadableStream, text: string): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve) => {
    const onData = (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(text)) {
        stream.off('data', onData);
        resolve();
      }
    };
    stream.on('data', onData);
  });
}
