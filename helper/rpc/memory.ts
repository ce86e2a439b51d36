// Gives memory back once a client that made the helper hold a lot has gone (issue 14, defect 1),
// and once a request that streamed through it has ended (an import, a load, a build).
// What a connection held (the message being read, unanswered requests, replies it did not read),
// and what a stream's reader left, are garbage then, but V8 frees garbage at its next major GC,
// and an idle helper has none until V8's memory reducer runs, 30 to 60 s later: the audit saw
// gigabytes held that long. (An import's raw socket closes when the tool has read its last byte,
// often long before the import ends: its close alone came too early to free the import's garbage.)
// So once connections have closed or such a request has ended, and the process has grown well
// past its size at rest:
// - a full GC at once frees the garbage (V8 unmaps the pages it emptied);
// - a second one when the allocation rate has dropped lets V8 shrink its young generation, which
//   a flood of messages grows to 32 MB and which V8 shrinks only at a GC that finds the rate low
//   (measured over the last 5 s).
// Measured with four clients each sending 400 MB of 4 MiB frames: 57 MB at start, 216 MB at the
// peak, 102 MB after the first GC, 70 MB after the second.
import v8 from 'node:v8';
import vm from 'node:vm';

/** Growth of the resident set over its size at rest that is worth collecting. */
const WORTH_COLLECTING = 16 * 1024 * 1024;
/** Closes within this time share one collection: a burst of clients costs one GC. */
const SETTLE_MS = 200;
/** Longer than V8's 5 s window of allocation throughput, so the second GC finds it low. */
const QUIET_MS = 6000;

let collect: (() => void) | null | undefined;
let residentAtRest = process.memoryUsage.rss();
let soon: NodeJS.Timeout | undefined;
let quiet: NodeJS.Timeout | undefined;

/**
 * V8's gc(), exposed at run time: the helper is started as `node helper.js` by the CLI, the
 * extension and service units alike, so --expose-gc cannot be relied on in its command line.
 * The flag only adds the function to contexts made after it is set, hence the new context.
 * It is called without options: a full, synchronous mark-compact (Node 20's V8 reads its
 * options object as a request for less).
 */
function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = vm.runInNewContext('gc');
      collect = typeof gc === 'function' ? () => (gc as () => void)() : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/**
 * A connection closed, or a request that streamed through the helper ended: if the process holds
 * much more than at rest, collect (see above).
 */
export function garbageLikely(): void {
  if (soon) return;
  soon = setTimeout(() => {
    soon = undefined;
    const resident = process.memoryUsage.rss();
    residentAtRest = Math.min(residentAtRest, resident);
    const gc = resident - residentAtRest >= WORTH_COLLECTING ? collector() : null;
    if (!gc) return;
    gc();
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      quiet = undefined;
      gc();
      // The emptied pages are unmapped by V8's background tasks: the size at rest is read after.
      setTimeout(() => { residentAtRest = process.memoryUsage.rss(); }, 1000).unref();
    }, QUIET_MS);
    quiet.unref();
  }, SETTLE_MS);
  soon.unref();
}
