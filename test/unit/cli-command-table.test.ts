// The CLI's table of commands (helper/cli/command-table.ts) names each command before loading its
// module: the name must be the one the command's spec has, or `strata NAME` would run another
// command, or help would list one under a name that dispatches nowhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, loadAllCommands, loadCommand } from '../../helper/cli/command-table';
import { managementCommand } from '../../helper/cli/commands/manage';

test('each name in the table loads the command of that name, once', async () => {
  const loaded = await loadAllCommands();
  assert.deepEqual(loaded.map((c) => c.spec.name), COMMANDS.map(([name]) => name));
  assert.equal(new Set(COMMANDS.map(([name]) => name)).size, COMMANDS.length);
});

test('an unknown name loads nothing', async () => {
  assert.equal(await loadCommand('nosuchverb'), undefined);
});

test('every management alias (container ls, image rm, ...) reaches a command of the table', async () => {
  for (const [group, verbs] of [['container', ['ls', 'rm', 'inspect', 'export', 'prune']], ['image', ['ls', 'rm', 'history', 'load', 'prune']], ['system', ['df', 'check', 'info']]] as const) {
    for (const verb of verbs) {
      const command = await managementCommand(group, verb, loadCommand);
      assert.ok(command, `${group} ${verb}`);
    }
  }
  assert.equal((await managementCommand('image', 'ls', loadCommand))?.spec.name, 'images');
});
