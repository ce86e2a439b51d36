// strata build through the real CLI on the busybox image: each instruction and what it leaves in
// the image (config and history, as Docker writes them), Docker's classic output, and the builds
// that must fail: a failing RUN (its exit code, nothing left behind), an unsupported instruction
// or flag (refused before any step, with the file and line), a missing COPY source (named).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageDetail } from '../../helper/protocol';
import { TestStore, busyboxTarball } from '../support/strata';
import { makeContext } from '../support/build-context';

let store: TestStore;

before(async () => {
  store = TestStore.create('build');
  await store.ok(['import', '-c', 'CMD ["/bin/sh"]', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-build-bb-')))).tar, 'busybox']);
});
after(async () => { await store.close(); });

type Inspected = ImageDetail;
/** The image's record as the helper keeps it (the protocol's image.inspect, not the CLI's Docker view). */
async function inspect(ref: string): Promise<Inspected> {
  const client = await store.client();
  try {
    return await client.request('image.inspect', { ref });
  } finally {
    client.dispose();
  }
}

const EVERYTHING = `# a comment
ARG BASE=busybox
FROM \${BASE}
ARG WHO=world
ENV GREETING="hello \${WHO}" \\
    EMPTY=
LABEL org.example.title="the title" version=1
MAINTAINER someone@example.com
WORKDIR /app
COPY hello.txt ./
ADD notes.txt /docs/
RUN echo "$GREETING" > /app/out && \\
    # a comment inside the continuation is dropped, as Docker drops it
    echo printed-by-run
RUN ["/bin/sh", "-c", "echo exec-form-$WHO"]
SHELL ["/bin/sh", "-xc"]
RUN echo traced
USER 1000:1000
EXPOSE 80 443/udp
VOLUME ["/data"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=3 CMD ["true"]
ONBUILD RUN echo child
ENTRYPOINT ["/bin/sh"]
CMD ["-c", "cat /app/out"]
`;

test('every instruction: the output as Docker prints it, the config, and history line by line with Docker\'s created_by', async () => {
  const ctx = makeContext({ Dockerfile: EVERYTHING, 'hello.txt': 'hi\n', 'notes.txt': 'notes\n' });
  const r = await store.cli(['build', '-t', 'everything', ctx]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.filter((l) => l.startsWith('Step ')).slice(0, 3), ['Step 1/21 : ARG BASE=busybox', 'Step 2/21 : FROM ${BASE}', 'Step 3/21 : ARG WHO=world']);
  assert.ok(lines.includes('Step 10/21 : RUN echo "$GREETING" > /app/out &&     echo printed-by-run'), 'continuations joined, the comment line dropped');
  const run = lines.indexOf('Step 10/21 : RUN echo "$GREETING" > /app/out &&     echo printed-by-run');
  assert.match(lines[run + 1], /^ ---> Running in [0-9a-f]{12}$/);
  assert.equal(lines[run + 2], 'printed-by-run');
  assert.match(lines[run + 3], /^Removing intermediate container [0-9a-f]{12}$/);
  assert.match(lines[run + 4], /^ ---> [0-9a-f]{12}$/);
  assert.ok(lines.includes('exec-form-world'));
  assert.match(r.stderr, /\+ echo traced/, 'SHELL ["/bin/sh", "-xc"] runs the next RUN with -x');
  const built = /^Successfully built ([0-9a-f]{12})$/m.exec(r.stdout);
  assert.ok(built);
  assert.match(r.stdout, /^Successfully tagged everything:latest\n$/m);

  const img = await inspect('everything');
  const c = img.config.config;
  assert.deepEqual(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello world', 'EMPTY=']);
  assert.deepEqual(c.Labels, { 'org.example.title': 'the title', version: '1' });
  assert.equal(c.WorkingDir, '/app');
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '443/udp': {} });
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.StopSignal, 'SIGTERM');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 5e9, Retries: 3 });
  assert.deepEqual(c.OnBuild, ['RUN echo child']);
  assert.deepEqual(c.Shell, ['/bin/sh', '-xc']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh']);
  assert.deepEqual(c.Cmd, ['-c', 'cat /app/out']);
  assert.equal(img.config.author, 'someone@example.com');

  // One history entry per instruction after FROM (the base's own first), as Docker writes them.
  const own = img.config.history.slice(1).map((h) => [h.created_by, h.empty_layer === true]);
  const nop = '/bin/sh -c #(nop) ';
  assert.deepEqual(own.map(([by, empty]) => [String(by).replace(/(COPY|ADD) file:[0-9a-f]{64}/, '$1 file:<sha256>'), empty]), [
    [`${nop} ARG WHO=world`, true],
    [`${nop} ENV GREETING=hello world EMPTY=`, true],
    [`${nop} LABEL org.example.title=the title version=1`, true],
    [`${nop} MAINTAINER someone@example.com`, true],
    [`${nop}WORKDIR /app`, false],
    [`${nop}COPY file:<sha256> in ./ `, false],
    [`${nop}ADD file:<sha256> in /docs/ `, false],
    ['|1 WHO=world /bin/sh -c echo "$GREETING" > /app/out &&     echo printed-by-run', false],
    ['|1 WHO=world /bin/sh -c echo exec-form-$WHO', true],
    ['/bin/sh -xc #(nop)  SHELL [/bin/sh -xc]', true], // the new shell, as Docker writes it
    ['|1 WHO=world /bin/sh -xc echo traced', true],
    ['/bin/sh -xc #(nop)  USER 1000:1000', true],
    ['/bin/sh -xc #(nop)  EXPOSE 443/udp 80', true], // sorted as written, as moby's parseExpose does
    ['/bin/sh -xc #(nop)  VOLUME [/data]', true],
    ['/bin/sh -xc #(nop)  STOPSIGNAL SIGTERM', true],
    ['/bin/sh -xc #(nop)  HEALTHCHECK &{["CMD" "true"] "5s" "0s" "0s" "0s" \'\\x03\'}', true],
    ['/bin/sh -xc #(nop)  ONBUILD RUN echo child', true],
    ['/bin/sh -xc #(nop)  ENTRYPOINT ["/bin/sh"]', true],
    ['/bin/sh -xc #(nop)  CMD ["-c" "cat /app/out"]', true],
  ]);
  // The layers: the base's, then one per WORKDIR (a new dir), COPY, ADD and the RUN that wrote a file.
  assert.equal(img.config.rootfs.diff_ids.length, 5);
  const hist = await store.ok(['history', 'everything']);
  assert.match(hist, /#\(nop\)  CMD \["-c" "cat \/app\/out"\]/);
  // The image runs as built: its entrypoint and cmd, its user, its files.
  assert.equal(await store.ok(['run', '--rm', 'everything']), 'hello world\n');
  assert.equal(await store.ok(['run', '--rm', '--entrypoint', 'cat', 'everything', '/docs/notes.txt', '/app/hello.txt']), 'notes\nhi\n');
  assert.equal(await store.ok(['run', '--rm', '--entrypoint', 'id', 'everything', '-u']), '1000\n');
});

test('ARG scoping: a meta ARG is seen by FROM only, unless the stage declares it again; --build-arg overrides; ENV wins over ARG', async () => {
  const ctx = makeContext({
    Dockerfile: [
      'ARG TAG=latest', 'ARG OUTER=outer-default', 'FROM busybox:${TAG}',
      'RUN echo "outer=[$OUTER]"', 'ARG OUTER', 'RUN echo "outer=[$OUTER]"',
      'ARG SHADOW=arg', 'ENV SHADOW=env', 'RUN echo "shadow=[$SHADOW]"', 'ARG GIVEN=default', 'RUN echo "given=[$GIVEN]"', '',
    ].join('\n'),
  });
  const r = await store.cli(['build', '--build-arg', 'GIVEN=from-cli', '--build-arg', 'NOBODY=x', ctx]);
  assert.equal(r.code, 0, r.stderr);
  const said = r.stdout.split('\n').filter((l) => /^(outer|shadow|given)=/.test(l));
  assert.deepEqual(said, ['outer=[]', 'outer=[outer-default]', 'shadow=[env]', 'given=[from-cli]']);
  assert.match(r.stdout, /^\[Warning\] One or more build-args \[NOBODY\] were not consumed$/m);
  const id = /^Successfully built ([0-9a-f]{12})$/m.exec(r.stdout)![1];
  const img = await inspect(id);
  assert.ok(!(img.config.config.Env as string[]).some((e) => e.startsWith('GIVEN=')), 'build args are not kept in the image');
  const runs = img.config.history.map((h) => h.created_by ?? '').filter((b) => b.includes('given='));
  // moby's prependEnvOnCmd: the args in scope that ENV does not override, sorted (SHADOW is ENV's now).
  assert.deepEqual(runs, ['|2 GIVEN=from-cli OUTER=outer-default /bin/sh -c echo "given=[$GIVEN]"']);
});

test('-q prints only the image id; a Dockerfile on stdin (-) builds with no context', async () => {
  const r = await store.cli(['build', '-q', '-t', 'from-stdin', '-'], { input: 'FROM busybox\nRUN echo quiet > /q\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(await store.ok(['run', '--rm', 'from-stdin', 'cat', '/q']), 'quiet\n');
});

/**
 * What `after` has that `before` had not, per folder: what a step left behind. (Something gone
 * since is not this test's: an earlier test's `run --rm` removes its container in the background,
 * and it may do so between the two snapshots.)
 */
function added(before: ReturnType<typeof storeSnapshot>, after: ReturnType<typeof storeSnapshot>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(after).map(([k, names]) => [k, names.filter((n) => !before[k as keyof typeof before].includes(n))]));
}
const NOTHING = { images: [], layers: [], containers: [], tmp: [] };

function storeSnapshot(): { images: string[]; layers: string[]; containers: string[]; tmp: string[] } {
  // (A `run --rm` of an earlier test may still be finishing its removal: '<id>-removing'.)
  const ls = (d: string) => readdirSync(join(store.root, d)).filter((n) => !n.endsWith('-removing')).sort();
  return { images: ls('images'), layers: ls('graph'), containers: ls('containers'), tmp: ls('tmp') };
}

test('a failing RUN stops the build with its exit code and Docker\'s message, and leaves nothing behind', async () => {
  const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN echo made > /made\nRUN echo to-stdout; echo to-stderr >&2; exit 7\nRUN echo never\n' });
  const before = storeSnapshot();
  const r = await store.cli(['build', '-t', 'failing', ctx]);
  assert.equal(r.code, 7);
  assert.match(r.stdout, /^to-stdout$/m);
  assert.match(r.stderr, /^to-stderr$/m);
  assert.match(r.stderr, /^The command '\/bin\/sh -c echo to-stdout; echo to-stderr >&2; exit 7' returned a non-zero code: 7$/m);
  assert.doesNotMatch(r.stdout, /never|Successfully/);
  assert.deepEqual(added(before, storeSnapshot()), NOTHING, 'no image, layer (not even the earlier step\'s), container or staging folder is left');
  assert.doesNotMatch(await store.ok(['images']), /failing/);
});

test('--rm=false keeps the failed step\'s container', async () => {
  const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN exit 4\n' });
  const r = await store.cli(['build', '--rm=false', ctx]);
  assert.equal(r.code, 4);
  const client = await store.client();
  const kept = (await client.request('containers.list', { all: true })).filter((c) => c.exitCode === 4);
  client.dispose();
  assert.equal(kept.length, 1);
  assert.deepEqual(kept[0].command, ['/bin/sh', '-c', 'exit 4']);
  await store.ok(['rm', kept[0].id]);
});

test('an unsupported instruction or flag is refused before any step, with the file and the line', async () => {
  for (const [text, want] of [
    ['FROM busybox\nRUN echo fine\nFROBNICATE now\n', /^Error response from daemon: Dockerfile:3: unknown instruction: FROBNICATE$/m],
    ['FROM busybox\nRUN echo fine\n\nRUN --mount=type=cache,target=/x echo hi\n', /^Error response from daemon: Dockerfile:4: RUN --mount is not supported/m],
    ['FROM busybox\nCOPY --link a /b\n', /Dockerfile:2: COPY --link is not supported \(COPY takes --from, --chown, --chmod\)/],
  ] as const) {
    const before = storeSnapshot();
    const r = await store.cli(['build', makeContext({ Dockerfile: text, a: 'a' })]);
    assert.equal(r.code, 1, text);
    assert.match(r.stderr, want);
    assert.equal(r.stdout, '', 'no step ran');
    assert.deepEqual(added(before, storeSnapshot()), NOTHING);
  }
  const named = await store.cli(['build', '-f', join(makeContext({ 'other.Dockerfile': 'FROM busybox\nADD --keep-git-dir=true x /y\n' }), 'other.Dockerfile'), makeContext({})]);
  assert.match(named.stderr, /other\.Dockerfile:2: ADD --keep-git-dir is not supported/);
});

test('a COPY source that is not in the context names the path; a URL in ADD is refused', async () => {
  const r = await store.cli(['build', makeContext({ Dockerfile: 'FROM busybox\nCOPY present.txt missing/file.txt /dst/\n', 'present.txt': 'p' })]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Dockerfile:2: COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\/file\.txt: file does not exist/);
  const url = await store.cli(['build', makeContext({ Dockerfile: 'FROM busybox\nADD https://example.com/x /x\n' })]);
  assert.match(url.stderr, /Dockerfile:2: ADD from a URL \(https:\/\/example\.com\/x\) is not supported/);
});
