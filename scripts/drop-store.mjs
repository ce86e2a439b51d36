// Stops the helper of a store that a script made (its pid file), then removes the store: for the
// scripts that run the real CLI against stores of their own (bench-archives, bench-cli-start, build).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function dropStore(dir) {
  const pidFile = join(dir, 'helper.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 50; i++) {
      try { process.kill(pid, 0); } catch { break; }
      execFileSync('sleep', ['0.1']);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
