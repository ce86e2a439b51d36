// The operations test/hostile/faults.test.ts kills the helper in, and at which points
// (helper/store/faults.ts): each point of an operation of its own, and points of the store's
// steps (adopt, move, writes) again inside a build's steps and a load's layers. Each operation has a set-up (done with a helper that is not armed), the
// command that runs it through the CLI (with the helper armed to die at the point), what it is
// allowed to change (its target), and what must be as it was after the restart (a container's
// changes, wherever a commit, rmi or start left them).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FaultPoint } from '../../helper/store/faults';
import { prng } from './tar-fuzz';
import { buildTar } from './archive-tar';
import { dockerArchiveEntries } from './image-archive';
import { containerId } from './store-disk';
import type { TestStore } from './strata';

export type Op = 'import' | 'commit-stopped' | 'commit-running' | 'rmi' | 'tag' | 'rm' | 'rename' | 'start' | 'build' | 'load';

/** Each point at least once; a few again through another operation, where the state left differs. */
export const CASES: Record<Op, FaultPoint[]> = {
  import: [
    'import.staged', 'import.extracted', 'adopt.begin', 'adopt.marked', 'adopt.json-written', 'adopt.files-synced', 'adopt.renamed',
    'adopt.graph-synced', 'import.adopted', 'image-add.temp-written', 'image-add.renamed', 'image-add.written', 'import.image-added',
    'import.tagged', 'claim.unlinked', 'import.claimed',
  ],
  'commit-running': [
    'commit.staged', 'commit.frozen', 'commit.copied', 'commit.thawed', 'adopt.renamed', 'commit.saved', 'commit.image-added',
    'commit.tagged', 'commit.claimed',
  ],
  'commit-stopped': [
    'commit.digested', 'move.recorded', 'move.staged', 'move.renamed', 'move.synced', 'adopt.json-written', 'adopt.renamed',
    'move.adopted', 'commit.saved', 'commit.image-added', 'commit.tagged', 'claim.unlinked', 'commit.claimed',
  ],
  rmi: [
    'rmi.untagged', 'unclaim.marked', 'unclaim.synced', 'rmi.marked', 'image-remove.unlinked', 'image-remove.synced', 'rmi.image-removed',
    'rmi.link-dropped', 'giveback.renamed', 'giveback.container-synced', 'giveback.layer-synced', 'giveback.recorded', 'rmi.given-back',
    'layer-remove.renamed', 'layer-remove.synced', 'layer-remove.deleted', 'rmi.layer-removed',
  ],
  tag: ['tags.temp-written', 'tags.renamed', 'tags.written'],
  rm: ['container-remove.renamed', 'container-remove.synced', 'container-remove.deleted'],
  rename: ['container-save.temp-written', 'container-save.renamed', 'container-save.written'],
  start: ['takeback.copied', 'takeback.renamed', 'takeback.synced', 'takeback.recorded'],
  // RUN, COPY, RUN (the first hit of each point): between steps, mid-commit of a RUN's layer (its
  // move into the graph), a COPY's layer, each step's image, tagging, the build cache's write.
  build: [
    'build.context-extracted', 'commit.digested', 'move.renamed', 'adopt.marked', 'move.adopted', 'build.run-committed',
    'build.container-removed', 'build.step-image-added', 'build.step-kept', 'build.copy-adopted', 'build.tagged',
    'build-cache.temp-written', 'build-cache.renamed', 'build-cache.written', 'build.cached',
  ],
  // Two layers, the first of 3 MB: mid-layer (extracting), between layers (read; moved into the
  // graph, and mid-move of one), before the image record, before tagging, before the claim.
  load: [
    'load.layer-reading', 'load.layer-staged', 'load.read', 'adopt.json-written', 'load.layer-adopted', 'load.layers-adopted',
    'load.image-added', 'image-add.renamed', 'load.tagged', 'load.claimed',
  ],
};

export interface Prepared {
  /** Runs the operation with the helper armed (`armed` is the CLI's environment for that). */
  run(armed: Record<string, string>): Promise<{ code: number; stderr: string }>;
  /** Tags, images and containers the operation may remove or change. */
  target: { tags?: string[]; images?: string[]; containers?: string[] };
  /** A container whose changes must be exactly as before (its `strata diff`). */
  keepsChanges?: string;
  /** A container the operation made, and lines its `strata diff` must show after the restart. */
  madeChanges?: { container: string; lines: string[] };
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sets up case `n` of `op` on `store` (whose helper is not armed) and says how to run it. */
export async function prepare(store: TestStore, op: Op, point: FaultPoint, n: number, base: string): Promise<Prepared> {
  const cli = (args: string[], env?: Record<string, string>) => store.cli(args, { env });
  const writes = (name: string) => `echo ${name} > /hello; rm /etc/motd; mkdir /d; echo x > /d/f`;
  switch (op) {
    case 'import': {
      // A tar of its own each time: the same one again would find its layer there and adopt nothing.
      const tar = await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/case', data: `case ${n}\n` }, { name: 'bin/tool', data: Buffer.alloc(70_000, n), mode: 0o755 }]);
      return { run: (env) => store.cli(['import', '-', `imp${n}`], { input: tar, env }), target: { tags: [`imp${n}:latest`] } };
    }
    case 'commit-stopped':
      await store.ok(['run', '--name', `s${n}`, base, 'sh', '-c', writes(`s${n}`)]);
      return { run: (env) => cli(['commit', `s${n}`, `s${n}img`], env), target: { tags: [`s${n}img:latest`] }, keepsChanges: `s${n}` };
    case 'commit-running':
      return {
        // The armed helper starts the container (it dies with that helper, as it would), then
        // commits it once it has written, while it runs: a copy, frozen.
        run: async (env) => {
          const started = await cli(['run', '-d', '--name', `r${n}`, base, 'sh', '-c', `${writes(`r${n}`)}; touch /ready; sleep 600`], env);
          if (started.code !== 0) return started;
          const upper = join(store.root, 'containers', containerId(store.root, `r${n}`), 'upper');
          await until(`container r${n} to write its files`, () => existsSync(join(upper, 'ready')));
          return cli(['commit', `r${n}`, `r${n}img`], env);
        },
        target: { tags: [`r${n}img:latest`] },
        madeChanges: { container: `r${n}`, lines: ['A /hello', 'A /ready', 'C /etc', 'D /etc/motd', 'A /d/f'] },
      };
    case 'rmi': {
      // Give-back: the image's layer holds a stopped container's changes (commit by move), which
      // rmi returns to it. Otherwise: a layer nothing else holds (its container removed), which
      // rmi must not leave behind, unused, whatever point it is killed at.
      const giveBack = point.startsWith('giveback.') || point === 'rmi.given-back';
      await store.ok(['run', '--name', `g${n}`, base, 'sh', '-c', writes(`g${n}`)]);
      await store.ok(['commit', `g${n}`, `g${n}img`]);
      if (!giveBack) await store.ok(['rm', `g${n}`]);
      if (point === 'rmi.link-dropped') {
        // A container run on the image gives its layer a short link, which rmi drops.
        await store.ok(['run', '--name', `l${n}`, `g${n}img`, 'true']);
        await store.ok(['rm', `l${n}`]);
      }
      return {
        run: (env) => cli(['rmi', `g${n}img`], env),
        target: { tags: [`g${n}img:latest`], images: [`g${n}img`] },
        ...(giveBack ? { keepsChanges: `g${n}` } : {}),
      };
    }
    case 'tag':
      return { run: (env) => cli(['tag', base, `t${n}`], env), target: { tags: [`t${n}:latest`] } };
    case 'rm':
      await store.ok(['run', '--name', `x${n}`, base, 'sh', '-c', writes(`x${n}`)]);
      return { run: (env) => cli(['rm', `x${n}`], env), target: { containers: [`x${n}`] } };
    case 'rename':
      await store.ok(['create', '--name', `n${n}`, base]);
      return { run: (env) => cli(['rename', `n${n}`, `n${n}b`], env), target: { containers: [`n${n}`] } };
    case 'start':
      await store.ok(['run', '--name', `k${n}`, base, 'sh', '-c', writes(`k${n}`)]);
      await store.ok(['commit', `k${n}`, `k${n}img`]); // by move: starting again takes a copy back first
      return { run: (env) => cli(['start', `k${n}`], env), target: {}, keepsChanges: `k${n}` };
    case 'build': {
      // Steps of this case's own (n in each), so that no step comes from the build cache.
      const context = join(dirname(store.root), `context${n}`);
      mkdirSync(context);
      writeFileSync(join(context, 'Dockerfile'), `FROM ${base}\nRUN ${writes(`b${n}`)}\nCOPY f /copied\nRUN echo ${n} > /last\n`);
      writeFileSync(join(context, 'f'), `copied in case ${n}\n`);
      return { run: (env) => cli(['build', '-t', `b${n}`, context], env), target: { tags: [`b${n}:latest`] } };
    }
    case 'load': {
      // A layer of its own each time (as for import); the first large enough to be read in steps.
      const random = prng(n);
      const big = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, () => Math.floor(random() * 256)));
      const layers = [
        await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/case', data: `case ${n}\n` }, { name: 'big', data: big }]),
        await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.case', data: '' }, { name: 'second', data: `${n}\n` }]),
      ];
      const archive = await buildTar(dockerArchiveEntries([{ layers, tags: [`ld${n}:latest`] }]));
      return { run: (env) => store.cli(['load'], { input: archive, env }), target: { tags: [`ld${n}:latest`] } };
    }
  }
}
