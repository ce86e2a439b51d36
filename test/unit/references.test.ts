// Image names parse the way Docker parses them, and import/commit -c changes apply as Docker's do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, formatReference } from '../../helper/store/reference';
import { applyChanges } from '../../helper/sources/changes';

test('name[:tag] with the default tag latest, registry hosts and ports', () => {
  assert.equal(formatReference(parseReference('bookworm64')), 'bookworm64:latest');
  assert.equal(formatReference(parseReference('bookworm_and_hello:v1')), 'bookworm_and_hello:v1');
  assert.equal(formatReference(parseReference('localhost:5000/team/app:1.0')), 'localhost:5000/team/app:1.0');
});

test('bad names are refused with docker\'s wording', () => {
  assert.throws(() => parseReference('Upper'), /invalid reference format: "Upper": repository name must be lowercase/);
  assert.throws(() => parseReference('a:b:c'), /invalid reference format/);
  assert.throws(() => parseReference('../etc'), /invalid reference format/);
  assert.throws(() => parseReference('name:'), /invalid reference format/);
});

test('changes: CMD and ENTRYPOINT in exec and shell form, ENV, WORKDIR, USER, LABEL', () => {
  const c = applyChanges({ Env: ['A=1'] }, ['CMD ["/bin/sh","-c","echo hi"]', 'ENTRYPOINT /init', 'ENV A=2 B="x y"', 'WORKDIR /srv', 'USER daemon', 'LABEL k=v']);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/init']);
  assert.deepEqual(c.Env, ['A=2', 'B=x y']);
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.User, 'daemon');
  assert.deepEqual(c.Labels, { k: 'v' });
  assert.throws(() => applyChanges({}, ['RUN apt-get update']), /RUN is not supported/);
});
