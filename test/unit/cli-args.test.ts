// The CLI reads flags the way docker does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError, helpText, type CommandSpec } from '../../helper/cli/args';
import { parseBytes } from '../../helper/cli/commands/run';
import { humanSize, ago } from '../../helper/cli/format';

const runSpec: CommandSpec = {
  name: 'run', usage: 'IMAGE [CMD]', summary: 's', stopAtPositional: true, minArgs: 1,
  flags: [
    { long: 'interactive', short: 'i', kind: 'bool', help: '' },
    { long: 'tty', short: 't', kind: 'bool', help: '' },
    { long: 'env', short: 'e', kind: 'list', help: '' },
    { long: 'name', kind: 'string', help: '' },
  ],
};

test('combined short flags, repeated lists, --flag=value, and the command after the image', () => {
  const p = parseArgs(runSpec, ['-it', '-e', 'A=1', '-eB=2', '--name=web', 'busybox', 'ls', '-l', '--name']);
  assert.equal(p.flags.interactive, true);
  assert.equal(p.flags.tty, true);
  assert.deepEqual(p.flags.env, ['A=1', 'B=2']);
  assert.equal(p.flags.name, 'web');
  assert.deepEqual(p.args, ['busybox', 'ls', '-l', '--name']);
});

test('unknown flags, missing values and missing arguments are usage errors', () => {
  assert.throws(() => parseArgs(runSpec, ['--bogus', 'x']), (e: unknown) => e instanceof UsageError && /unknown flag: --bogus/.test((e as Error).message));
  assert.throws(() => parseArgs(runSpec, ['--name']), /flag needs an argument: --name/);
  assert.throws(() => parseArgs(runSpec, ['-x', 'img']), /unknown shorthand flag: 'x'/);
  assert.throws(() => parseArgs(runSpec, []), /requires at least 1 argument/);
});

test('help lists every flag', () => {
  const text = helpText(runSpec);
  for (const f of ['-i, --interactive', '-t, --tty', '-e, --env', '--name']) assert.ok(text.includes(f), f);
});

test('sizes: bytes with units in, SI sizes out as docker prints them', () => {
  assert.equal(parseBytes('512m'), 512 * 1024 * 1024);
  assert.equal(parseBytes('1g'), 1024 ** 3);
  assert.equal(parseBytes('4096'), 4096);
  assert.throws(() => parseBytes('lots'), /invalid size/);
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(2_050_000), '2.05MB');
  assert.equal(humanSize(204_000_000), '204MB');
  assert.equal(ago(new Date(Date.now() - 5 * 60_000).toISOString()), '5 minutes ago');
});
