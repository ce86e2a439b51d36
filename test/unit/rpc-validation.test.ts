// The helper validates every parameter before acting: wrong types, unknown fields, ids that are
// not in their exact form and oversized values are refused with a message naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methods, SchemaError } from '../../helper/protocol';

function refuse(method: keyof typeof methods, params: unknown, pattern: RegExp) {
  assert.throws(() => methods[method].params.check(params, method), (err: unknown) => {
    assert.ok(err instanceof SchemaError, `expected a SchemaError, got ${err}`);
    assert.match((err as Error).message, pattern);
    return true;
  }, `${method} accepted ${JSON.stringify(params)}`);
}

// Every method, not most: flatpak-system-helper and udisks each had a hole from one method that
// skipped a check (docs/security.md, "The helper and its clients").
test('every method refuses parameters that are not an object, or that carry an unknown field', () => {
  const names = Object.keys(methods) as (keyof typeof methods)[];
  for (const m of ['image.import', 'container.create', 'file.read', 'session.input']) assert.ok(names.includes(m as keyof typeof methods), `${m} is a method`);
  for (const name of names) {
    for (const bad of [42, 'x', [], null]) refuse(name, bad, new RegExp(`^${name.replaceAll('.', '\\.')}: expected an object$`));
    refuse(name, { unexpected: 1 }, new RegExp(`^${name.replaceAll('.', '\\.')}: unknown field "unexpected"$`));
  }
});

test('a missing field, a wrong type and an unknown field are refused', () => {
  refuse('image.history', {}, /missing field "ref"/);
  refuse('image.history', { ref: 5 }, /ref: expected a string/);
  refuse('image.history', { ref: 'busybox', extra: 1 }, /unknown field "extra"/);
  refuse('containers.list', { all: 'yes' }, /all: expected true or false/);
  refuse('image.history', null as unknown, /expected an object/);
});

test('ids must be in their exact form: no paths, no options, no traversal', () => {
  refuse('layer.changes', { id: '../../etc' }, /layer id/);
  refuse('layer.changes', { id: 'ABC123' }, /layer id/);
  refuse('container.inspect', { id: '../x' }, /container name or id/);
  refuse('container.inspect', { id: '-rf' }, /container name or id/);
  refuse('image.inspect', { ref: '/etc/passwd' }, /image name/);
  refuse('session.input', { session: 'a'.repeat(63), data: '' }, /session id/);
  refuse('upload.write', { token: 'zz', data: '' }, /upload token/);
});

test('values with a NUL byte, out of range or too long are refused', () => {
  refuse('image.tag', { source: 'a', target: 'x\0y' }, /NUL/);
  refuse('session.resize', { session: 'a'.repeat(64), cols: 0, rows: 10 }, /less than 1/);
  refuse('session.resize', { session: 'a'.repeat(64), cols: 1.5, rows: 10 }, /integer/);
  refuse('upload.write', { token: 'a'.repeat(32), data: 'A'.repeat(1_400_001) }, /longer than/);
  refuse('upload.write', { token: 'a'.repeat(32), data: 'not base64!' }, /base64/);
});

test('container options are checked field by field', () => {
  const good = { tty: true, openStdin: true, env: ['A=1'], network: 'none', autoRemove: false };
  assert.deepEqual(methods['container.create'].params.check({ image: 'busybox', options: good }, 'p'), { image: 'busybox', options: good });
  refuse('container.create', { image: 'busybox', options: { ...good, network: 'bridge' } }, /network: expected one of none, host/);
  refuse('container.create', { image: 'busybox', options: { ...good, env: ['NOEQUALS'] } }, /KEY=VALUE/);
  refuse('container.create', { image: 'busybox', options: { ...good, workdir: 'relative' } }, /absolute path/);
  refuse('container.create', { image: 'busybox', options: { ...good, memory: 1 } }, /less than/);
});

test('optional fields may be left out or null, and come back without them', () => {
  assert.deepEqual(methods['container.stop'].params.check({ id: 'abc', timeout: null }, 'p'), { id: 'abc' });
});
