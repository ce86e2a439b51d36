// Figures the VS Code suite measures for `npm run bench` (scripts/bench.mjs prints them against
// their targets; test/bench/README.md). Tests never assert on a duration: on a loaded machine any
// wall-clock limit fails a correct build ("activation took 10.7 + 131.2 ms"), and a limit loose
// enough not to would prove nothing. They record what they measured, and go on asserting what the
// user sees.
// Written to $STRATA_VSCODE_TIMINGS, or test-output/vscode-timings.json in the repository:
//   { "<key>": { "ms": 12.3, "what": "activate()" }, ... }
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './strata';

export interface Timing {
  ms: number;
  what: string;
}

// Each test file is bundled on its own, each with its own copy of this module: the figures of one
// run are kept on the extension host's global object, so every file's figures land in one file.
const RUN_KEY = '__strataVSCodeTimings';
type WithTimings = typeof globalThis & { [RUN_KEY]?: Record<string, Timing> };

export function timingsFile(): string {
  return process.env.STRATA_VSCODE_TIMINGS || join(repoRoot(), 'test-output', 'vscode-timings.json');
}

/** Records one figure of this run (replacing the file's figures from any earlier run). */
export function recordTiming(key: string, ms: number, what: string): void {
  const g = globalThis as WithTimings;
  const figures = (g[RUN_KEY] ??= {});
  figures[key] = { ms: Math.round(ms * 100) / 100, what };
  const file = timingsFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`      ${what}: ${ms.toFixed(1)} ms (recorded for npm run bench)`);
}
