// Many small shell steps in one container, each in its own `sh -c`, with each one's exit code and
// output (stderr included) kept apart, and a table of the results for t.diagnostic: one container
// start for a whole list of checks, and a report that names each one.
import assert from 'node:assert/strict';
import type { LaunchSpec } from '../../helper/runtime';
import { runToEnd, type RuntimeStore } from './runtime-fixture';

export interface StepResult { code: number; out: string }

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs each script with `sh -c` in one container made from `overrides`, in order. */
export async function runSteps(store: RuntimeStore, scripts: string[], overrides: Partial<LaunchSpec> = {}): Promise<StepResult[]> {
  const body = scripts.map((s, i) => `out=$(sh -c ${shQuote(s)} 2>&1 </dev/null); printf '@@%d %d\\n%s\\n' ${i} $? "$out"`).join('\n');
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', body], ...overrides }));
  const parts = r.stdout.replace(/\r\n/g, '\n').split(/^@@/m).slice(1); // a terminal ends lines with \r\n
  assert.equal(parts.length, scripts.length, `the container ran ${parts.length} of ${scripts.length} steps (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return parts.map((part) => {
    const [head, ...rest] = part.split('\n');
    return { code: Number(head.split(' ')[1]), out: rest.join('\n').trim() };
  });
}

/** A table with a header row and columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
