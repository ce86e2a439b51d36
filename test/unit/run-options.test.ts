// The run flags' parsing and the engine's decisions on them, without a kernel: Docker's time
// forms (logs --since/--until), -e NAME and --env-file, --restart, the capability set, and
// commit/import -c EXPOSE and STOPSIGNAL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerTime } from '../../helper/cli/docker-time';
import { envEntries, readEnvFile, restartPolicyOf } from '../../helper/cli/run-flags';
import { capabilityMask, checkRunOptions, REFUSED_CAPABILITIES } from '../../helper/engine/run-options';
import { applyChanges } from '../../helper/sources/changes';
import type { ContainerOptions } from '../../helper/protocol/types';

test('dockerTime: Go durations before now, unix seconds, RFC 3339, local dates; anything else is undefined', () => {
  const now = Date.UTC(2024, 0, 2, 3, 4, 5);
  assert.equal(dockerTime('10m', now), now - 600_000);
  assert.equal(dockerTime('1h30m', now), now - 5_400_000);
  assert.equal(dockerTime('1.5s', now), now - 1500);
  assert.equal(dockerTime('1700000000', now), 1_700_000_000_000);
  assert.equal(dockerTime('1700000000.25', now), 1_700_000_000_250);
  assert.equal(dockerTime('2024-01-02T03:04:05Z', now), now);
  assert.equal(dockerTime('2024-01-02T04:04:05+01:00', now), now);
  assert.equal(dockerTime('2024-01-02T03:04:05.5Z', now), now + 500);
  assert.equal(dockerTime('2024-01-02', now), new Date(2024, 0, 2).getTime(), 'a date alone is local midnight, as Docker');
  for (const bad of ['', 'abc', '10x', '2024-13-45Tzz', 'm10', '-5m']) assert.equal(dockerTime(bad, now), undefined, bad);
});

test('-e NAME copies the caller\'s value or leaves it out; --env-file lines as Docker reads them', () => {
  process.env.STRATA_T_SET = 'v 1';
  delete process.env.STRATA_T_UNSET;
  assert.deepEqual(envEntries(['A=1', 'STRATA_T_SET', 'STRATA_T_UNSET', 'EMPTY=']), ['A=1', 'STRATA_T_SET=v 1', 'EMPTY=']);
  const file = join(mkdtempSync(join(tmpdir(), 'strata-envfile-')), 'env');
  writeFileSync(file, '# comment\n  INDENTED=yes\nQUOTED="kept as is"\n\nSTRATA_T_SET\nSTRATA_T_UNSET\nEQ=a=b\n');
  assert.deepEqual(readEnvFile(file), ['INDENTED=yes', 'QUOTED="kept as is"', 'STRATA_T_SET=v 1', 'EQ=a=b']);
  writeFileSync(file, 'BAD NAME=1\n');
  assert.throws(() => readEnvFile(file), /variable 'BAD NAME' contains whitespaces/);
});

test('--restart: the four policies, a count for on-failure only', () => {
  assert.deepEqual(restartPolicyOf('always'), { name: 'always', maximumRetryCount: 0 });
  assert.deepEqual(restartPolicyOf('on-failure:5'), { name: 'on-failure', maximumRetryCount: 5 });
  assert.deepEqual(restartPolicyOf('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
  assert.throws(() => restartPolicyOf('always:3'), /only be used with 'on-failure'/);
  assert.throws(() => restartPolicyOf('on-failure:x'), /must be an integer/);
  assert.throws(() => restartPolicyOf('sometimes'), /unknown policy 'sometimes'/);
});

test('capabilities: the default set, drops (ALL), adds; every refused one has its reason, also in any spelling', () => {
  const base = { network: 'none' } as Pick<ContainerOptions, 'network'>;
  assert.equal(capabilityMask(base), 0xa00425fbn);
  assert.equal(capabilityMask({ ...base, capDrop: ['ALL'], capAdd: ['cap_net_bind_service'] }), 1n << 10n);
  assert.equal(capabilityMask({ ...base, capDrop: ['CHOWN'] }), 0xa00425fbn & ~1n);
  assert.equal(capabilityMask({ ...base, capAdd: ['NET_ADMIN'] }), 0xa00425fbn | (1n << 12n));
  for (const name of Object.keys(REFUSED_CAPABILITIES)) {
    for (const spelled of [name, `CAP_${name}`, name.toLowerCase()]) {
      assert.throws(() => capabilityMask({ ...base, capAdd: [spelled] }), new RegExp(`--cap-add ${name} is refused: ${REFUSED_CAPABILITIES[name].slice(0, 20).replace(/[()]/g, '.')}`));
    }
  }
  assert.throws(() => capabilityMask({ network: 'host', capAdd: ['NET_ADMIN'] }), /host's interfaces/);
  assert.throws(() => capabilityMask({ ...base, capAdd: ['ALL'] }), /--cap-add ALL is refused/);
  assert.throws(() => capabilityMask({ ...base, capDrop: ['NOPE'] }), /unknown capability: "CAP_NOPE"/);
});

test('checkRunOptions: relations the schema cannot see', () => {
  const o = { tty: false, openStdin: false, env: [], network: 'none', autoRemove: false } as ContainerOptions;
  checkRunOptions({ ...o, ulimits: [{ name: 'nofile', soft: 10, hard: 20 }, { name: 'core', soft: -1, hard: -1 }, { name: 'stack', soft: 5, hard: -1 }] });
  assert.throws(() => checkRunOptions({ ...o, ulimits: [{ name: 'nofile', soft: -1, hard: 20 }] }), /soft limit/);
  assert.throws(() => checkRunOptions({ ...o, extraHosts: ['a:1.2.3'] }), /invalid IP address/);
  checkRunOptions({ ...o, extraHosts: ['a:1.2.3.4', 'b:::1'] });
  assert.throws(() => checkRunOptions({ ...o, nanoCpus: 100_000 * 1e9 }), /Range of CPUs is from 0.01/);
  assert.throws(() => checkRunOptions({ ...o, restartPolicy: { name: 'always', maximumRetryCount: 2 } }), /maximum retry count/);
});

test('commit -c EXPOSE and STOPSIGNAL, as Docker records them; a label named __proto__ is a label', () => {
  const c = applyChanges({}, ['EXPOSE 80 53/udp 8000-8002', 'STOPSIGNAL SIGQUIT', 'LABEL __proto__=x a=b']);
  assert.deepEqual(Object.keys(c.ExposedPorts!), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
  assert.equal(c.StopSignal, 'SIGQUIT');
  assert.equal(Object.getOwnPropertyDescriptor(c.Labels, '__proto__')?.value, 'x');
  assert.equal(c.Labels!.a, 'b');
  assert.equal(Object.getPrototypeOf(c.Labels), Object.prototype);
  assert.throws(() => applyChanges({}, ['EXPOSE 70000']), /invalid containerPort/);
  assert.throws(() => applyChanges({}, ['EXPOSE 1-5000']), /invalid containerPort/, 'a range of more than 1024 ports');
  assert.throws(() => applyChanges({}, ['STOPSIGNAL $(reboot)']), /not a signal/);
});
