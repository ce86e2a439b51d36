// Fault injection (issue 14, test/hostile/faults.test.ts): the helper kills itself with SIGKILL at
// a named point of an operation, as a power cut or an OOM kill would stop it there, so that a test
// can start it again and see that start-up repair and `strata check` leave nothing half-done.
//
// The switch: STRATA_FAULT_AT=<point>[:<n>] in the helper's environment, read ONCE when this
// module loads (at helper start): the n-th time (default the first) the helper passes <point>, it
// dies there. Off (the variable unset, as in production) it costs nothing measurable: `armed` is a
// module constant, undefined, and each point is one call and one comparison against it: no
// environment read, no I/O, no await (faultPoint is synchronous, so it adds no event-loop turn).
// A name that is not in FAULT_POINTS stops the helper at start, so a test cannot arm a typo.
import { writeSync } from 'node:fs';

/** Every point, in the order an operation passes them; each is one faultPoint() line in the code. */
export const FAULT_POINTS = [
  // Layers.adopt (store/layers.ts): a staged layer becoming graph/<id>.
  'adopt.begin', 'adopt.marked', 'adopt.json-written', 'adopt.files-synced', 'adopt.renamed', 'adopt.graph-synced',
  // Layers.claim and markUnclaimed: the marker of a layer no image may use yet, or any more.
  'claim.unlinked', 'unclaim.marked', 'unclaim.synced',
  // Layers.remove and Containers.remove (atomic.ts removeTree): rename aside, fsync, delete.
  'layer-remove.renamed', 'layer-remove.synced', 'layer-remove.deleted',
  'container-remove.renamed', 'container-remove.synced', 'container-remove.deleted',
  // Writes through writeFileAtomic: temp file written, renamed into place, folder fsynced.
  'image-add.temp-written', 'image-add.renamed', 'image-add.written',
  'tags.temp-written', 'tags.renamed', 'tags.written',
  'container-save.temp-written', 'container-save.renamed', 'container-save.written',
  'image-remove.unlinked', 'image-remove.synced',
  'build-cache.temp-written', 'build-cache.renamed', 'build-cache.written',
  // Commit by move, give-back and take-back (store/moved-uppers.ts).
  'move.recorded', 'move.staged', 'move.renamed', 'move.synced', 'move.adopted',
  'giveback.renamed', 'giveback.container-synced', 'giveback.layer-synced', 'giveback.recorded',
  'takeback.copied', 'takeback.renamed', 'takeback.synced', 'takeback.recorded',
  // The engine's operations (engine/images.ts, commit.ts, remove-image.ts).
  'import.staged', 'import.extracted', 'import.adopted', 'import.image-added', 'import.tagged', 'import.claimed',
  'commit.staged', 'commit.frozen', 'commit.copied', 'commit.thawed', 'commit.digested', 'commit.saved',
  'commit.image-added', 'commit.tagged', 'commit.claimed',
  'rmi.untagged', 'rmi.marked', 'rmi.image-removed', 'rmi.link-dropped', 'rmi.given-back', 'rmi.layer-removed',
  // A build (engine/build.ts): each step's layer (a RUN's commit, a COPY's folder), then its image.
  'build.context-extracted', 'build.run-committed', 'build.container-removed', 'build.copy-adopted', 'build.step-image-added',
  'build.step-kept', 'build.tagged', 'build.cached',
  // A load (engine/archives.ts): layers read into tmp/, then moved into the graph, then each image.
  'load.layer-reading', 'load.layer-staged', 'load.read', 'load.layer-adopted', 'load.layers-adopted', 'load.image-added',
  'load.tagged', 'load.claimed',
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

/** The environment variable the tests set on the helper. */
export const FAULT_ENV = 'STRATA_FAULT_AT';

interface Armed { point: FaultPoint; at: number }

function parseArmed(spec: string | undefined): Armed | undefined {
  if (!spec) return undefined;
  const m = /^([a-z-]+\.[a-z-]+)(?::([1-9][0-9]*))?$/.exec(spec);
  const point = m?.[1] as FaultPoint | undefined;
  if (!m || !FAULT_POINTS.includes(point!)) {
    throw new Error(`${FAULT_ENV}=${spec}: not a fault point (point[:n], one of ${FAULT_POINTS.join(', ')})`);
  }
  return { point: point!, at: m[2] ? Number(m[2]) : 1 };
}

const armed = parseArmed(process.env[FAULT_ENV]);
let hits = 0;

/** The point armed in this process, for the helper's log at start. */
export function armedFault(): string | undefined {
  return armed && `${armed.point}:${armed.at}`;
}

/** Dies here (SIGKILL, nothing cleaned up) when the switch names this point and its count is reached. */
export function faultPoint(point: FaultPoint): void {
  if (armed === undefined || armed.point !== point || ++hits < armed.at) return;
  // Written synchronously before dying, so that the test knows the kill happened here.
  writeSync(2, `${new Date().toISOString()} fault injection: killed at ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
}
