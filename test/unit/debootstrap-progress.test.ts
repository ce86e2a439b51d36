// debootstrap's installer protocol (fd 3) becomes stages with counts, and the root-fs helpers of
// the debootstrap source stay inside the root fs. The protocol lines are excerpts of a real
// `debootstrap --debian-installer --variant=minbase bookworm` (1.0.128+nmu2+deb12u2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebootstrapProgress, formatMessage, type DebootstrapEvent } from '../../helper/sources/debootstrap-progress';
import { debootstrapCommand, dropDebs, executableInRoot } from '../../helper/sources/debootstrap';

const COLD = `P: 0 100 DOWNREL
PF: Downloading Release file
I: RETRIEVING
IA: InRelease
IA: 
IF: Retrieving %s %s
P: 33 100
I: VALIDRELSIG
IA: 4D64FEC119C2029067D6E791F8D2585B8783D481
IF: Valid Release signature (key id %s)
I: RESOLVEREQ
IF: Resolving dependencies of required packages...
P: 0 1 SIZEDEBS
PF: Finding package sizes
P: 2 2 SIZEDEBS
PF: Finding package sizes
P: 0 31870120 DOWNDEBS
PF: Downloading packages
I: RETRIEVING
IA: adduser
IA: 3.134
IF: Retrieving %s %s
P: 49483 31870120
I: VALIDATING
IA: adduser
IA: 3.134
IF: Validating %s %s
I: VALIDATING
IA: apt
IA: 2.6.1
IF: Validating %s %s
W: RETRYING
WA: http://deb.debian.org/debian/pool/main/a/apt/apt_2.6.1_amd64.deb
WF: Retrying failed download of %s
P: 0 31870120 DOWNDEBS
I: CHOSENEXTRACTOR
IA: dpkg-deb
IF: Chosen extractor for .deb packages: %s
P: 1 2 EXTRACTPKGS
PF: Extracting packages
I: EXTRACTING
IA: adduser
IF: Extracting %s...
P: 2 2 EXTRACTPKGS
I: EXTRACTING
IA: apt
IF: Extracting %s...
I: UNPACKREQ
IF: Unpacking required packages...
P: 1 2 UNPACKREQ
PF: Unpacking required packages
I: UNPACKING
IA: adduser
IF: Unpacking %s...
I: CONFREQ
IF: Configuring required packages...
P: 3 2 CONFREQ
PF: Configuring required packages
I: CONFIGURING
IA: libc-bin
IF: Configuring %s...
I: BASESUCCESS
IF: Base system installed successfully.`;

function feed(text: string): { events: DebootstrapEvent[]; progress: DebootstrapProgress } {
  const events: DebootstrapEvent[] = [];
  const progress = new DebootstrapProgress((e) => events.push(e));
  for (const line of text.split('\n')) progress.line(line);
  return { events, progress };
}

test('each I: message becomes an event with its stage, its text as debootstrap prints it, and N of M where debootstrap counts', () => {
  const { events, progress } = feed(COLD);
  assert.deepEqual(events, [
    { stage: 'retrieving', message: 'Retrieving InRelease' },
    { stage: 'preparing', message: 'Valid Release signature (key id 4D64FEC119C2029067D6E791F8D2585B8783D481)' },
    { stage: 'resolving', message: 'Resolving dependencies of required packages...' },
    { stage: 'retrieving', message: 'Retrieving adduser 3.134', done: 1, total: 2 },
    { stage: 'validating', message: 'Validating adduser 3.134', done: 1, total: 2 },
    { stage: 'validating', message: 'Validating apt 2.6.1', done: 2, total: 2 },
    { stage: 'validating', message: 'warning: Retrying failed download of http://deb.debian.org/debian/pool/main/a/apt/apt_2.6.1_amd64.deb' },
    { stage: 'extracting', message: 'Chosen extractor for .deb packages: dpkg-deb' },
    { stage: 'extracting', message: 'Extracting adduser...', done: 1, total: 2 },
    { stage: 'extracting', message: 'Extracting apt...', done: 2, total: 2 },
    { stage: 'unpacking', message: 'Unpacking required packages...' },
    { stage: 'unpacking', message: 'Unpacking adduser...', done: 1, total: 2 },
    { stage: 'configuring', message: 'Configuring required packages...' },
    // debootstrap counts libc-bin's second configuration past its end: clamped.
    { stage: 'configuring', message: 'Configuring libc-bin...', done: 2, total: 2 },
    { stage: 'preparing', message: 'Base system installed successfully.' },
  ]);
  assert.equal(progress.packages, 2);
  assert.equal(progress.downloaded, 1, 'adduser came from the mirror, apt was valid in the cache');
  assert.deepEqual(progress.warnings, ['Retrying failed download of http://deb.debian.org/debian/pool/main/a/apt/apt_2.6.1_amd64.deb']);
  assert.equal(progress.error, undefined);
});

test("an E: message is kept as the run's error, not shown as progress", () => {
  const { events, progress } = feed('E: NOGETREL\nEA: http://deb.debian.org/nope/dists/bookworm/Release\nEF: Failed getting release file %s');
  assert.deepEqual(events, []);
  assert.equal(progress.error, 'Failed getting release file http://deb.debian.org/nope/dists/bookworm/Release');
  assert.equal(progress.errorName, 'NOGETREL');
});

test('lines that are not the protocol (a log line, a stray argument) change nothing', () => {
  const { events, progress } = feed('Selecting previously unselected package adduser.\nIA: stray\nIF: no group %s\nP: junk');
  assert.deepEqual(events, []);
  assert.equal(progress.packages, 0);
});

test('formatMessage fills %s in order and keeps %%', () => {
  assert.equal(formatMessage('Checking component %s on %s...', ['main', 'http://m']), 'Checking component main on http://m...');
  assert.equal(formatMessage('100%% of %s', ['x']), '100% of x');
  assert.equal(formatMessage('Retrieving %s %s', ['Packages', '']), 'Retrieving Packages');
});

test("the history's command names the user's choices, not Strata's own flags", () => {
  assert.equal(debootstrapCommand({ suite: 'bookworm', variant: 'minbase' }), 'debootstrap --variant=minbase bookworm http://deb.debian.org/debian');
  assert.equal(
    debootstrapCommand({ suite: 'trixie', variant: '-', include: ['vim', 'curl'], components: ['main', 'contrib'], mirror: 'http://m/debian' }),
    'debootstrap --include=vim,curl --components=main,contrib trixie http://m/debian',
  );
});

function rootfs(): string {
  return join(mkdtempSync(join(tmpdir(), 'strata-deboot-unit-')), 'rootfs');
}

test('executableInRoot follows the root fs links as the container sees them, never onto the host', async () => {
  const root = rootfs();
  try {
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/bash'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(root, 'usr/bin/notexec'), '', { mode: 0o644 });
    symlinkSync('usr/bin', join(root, 'bin')); // merged /usr, as bookworm has it
    mkdirSync(join(root, 'opt'));
    symlinkSync('/usr/bin/bash', join(root, 'opt/abs')); // absolute: inside the root fs
    symlinkSync('../../../../../../usr/bin/bash', join(root, 'opt/up'));
    symlinkSync('/bin/sh', join(root, 'opt/hostonly')); // exists on the host, not in this root fs
    symlinkSync('loop', join(root, 'opt/loop'));
    assert.equal(await executableInRoot(root, '/bin/bash'), true);
    assert.equal(await executableInRoot(root, '/opt/abs'), true);
    assert.equal(await executableInRoot(root, '/opt/up'), true);
    assert.equal(await executableInRoot(root, '/bin/notexec'), false);
    assert.equal(await executableInRoot(root, '/opt/hostonly'), false);
    assert.equal(await executableInRoot(root, '/opt/loop'), false);
    assert.equal(await executableInRoot(root, '/bin/../../../bin/sh'), false);
  } finally {
    rmSync(join(root, '..'), { recursive: true, force: true });
  }
});

test('dropDebs empties the apt cache of the root fs and follows no link out of it', async () => {
  const root = rootfs();
  const outside = join(root, '../outside');
  try {
    mkdirSync(join(root, 'var/cache/apt/archives/partial'), { recursive: true });
    for (const f of ['a_1_amd64.deb', 'lock', 'partial/b_2_all.deb']) writeFileSync(join(root, 'var/cache/apt/archives', f), 'x');
    assert.equal(await dropDebs(root), 2);
    assert.deepEqual(readdirSync(join(root, 'var/cache/apt/archives')).sort(), ['lock', 'partial']);
    assert.deepEqual(readdirSync(join(root, 'var/cache/apt/archives/partial')), []);

    // A root fs whose var/cache/apt is a link elsewhere: nothing there is touched.
    mkdirSync(join(outside, 'archives'), { recursive: true });
    writeFileSync(join(outside, 'archives/host.deb'), 'x');
    rmSync(join(root, 'var/cache/apt'), { recursive: true });
    symlinkSync(outside, join(root, 'var/cache/apt'));
    assert.equal(await dropDebs(root), 0);
    assert.deepEqual(readdirSync(join(outside, 'archives')), ['host.deb']);
  } finally {
    rmSync(join(root, '..'), { recursive: true, force: true });
  }
});
