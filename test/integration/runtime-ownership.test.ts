// Nothing runs unowned: when the helper that started a container dies (its control channel to the
// shim closes), the shim kills the container, even a paused one, and exits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { nativeTool } from '../../helper/native';
import { freeze } from '../../helper/runtime';
import { prepareLaunch } from '../../helper/runtime/launch';
import { eventually, makeRuntimeStore, Output, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
before(async () => (store = await makeRuntimeStore()));
after(() => store.dispose());

// A stand-in helper: starts the shim with fd 3 as its control channel and relays what it says.
const HELPER = `
const { spawn } = require('node:child_process');
const shim = spawn(process.argv[1], JSON.parse(process.argv[2]), { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
shim.stdio[3].on('data', (d) => process.stdout.write(d));
console.log('shim ' + shim.pid);
`;

async function startWithStandIn(pause: boolean) {
  const spec = store.spec({ cmd: ['sleep', '1000'] });
  const args = await prepareLaunch(spec);
  const helper = execa(process.execPath, ['-e', HELPER, nativeTool('strata-shim'), JSON.stringify(args)], { buffer: false, reject: false });
  const out = new Output(helper.stdout);
  const shimPid = Number((await out.waitFor(/^shim (\d+)$/m))[1]);
  const initPid = Number((await out.waitFor(/^pid (\d+)$/m))[1]);
  assert.ok(existsSync(`/proc/${initPid}`), 'the container runs');
  if (pause) await freeze(spec.id);
  helper.kill('SIGKILL');
  await helper;
  await eventually('the container to be gone', () => !existsSync(`/proc/${initPid}`) || undefined);
  await eventually('the shim to be gone', () => !existsSync(`/proc/${shimPid}`) || undefined);
}

test('when the helper dies the shim kills the container and exits', async () => {
  await startWithStandIn(false);
});

test('a paused container is killed too', async () => {
  await startWithStandIn(true);
});
