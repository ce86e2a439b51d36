// A static binary that makes raw syscalls by number (syscall-probe.c), built with gcc into `dir`:
// the seccomp filter's answers seen from inside, for syscalls no shell command makes.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './strata';

export function buildSyscallProbe(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'syscall-probe');
  execFileSync('gcc', ['-static', '-O2', '-o', out, join(repoRoot(), 'test/support/syscall-probe.c')]);
  return out;
}

/** Parses the probe's NR[:ARG0...]=errno lines into errnos, keyed by what was asked ("135", "135:40000", "16:0:5412"). */
export function probeResults(stdout: string): Record<string, number> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => { const [k, v] = l.split('='); return [k, Number(v.split(' ')[0])]; }));
}
