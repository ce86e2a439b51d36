// Build contexts for the build tests: a folder with the files given (text, or a Buffer).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function makeContext(files: Record<string, string | Buffer>, label = 'ctx'): string {
  const dir = mkdtempSync(join(tmpdir(), `strata-build-${label}-`));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** The step lines of a build's output: "Step n/m : ..." followed by ' ---> Using cache' when cached. */
export function cachedSteps(output: string): { step: string; cached: boolean }[] {
  const lines = output.split('\n');
  const out: { step: string; cached: boolean }[] = [];
  lines.forEach((l, i) => {
    if (l.startsWith('Step ')) out.push({ step: l.replace(/^Step \d+\/\d+ : /, ''), cached: lines[i + 1] === ' ---> Using cache' });
  });
  return out;
}
