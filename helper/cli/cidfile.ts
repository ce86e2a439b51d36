// --cidfile: the new container's id in a file, as Docker writes it (no newline). Docker refuses a
// file that exists (another container may own it) before creating anything.
import { existsSync, writeFileSync } from 'node:fs';
import { CommandError } from './command';

/** Docker 28's words (20.10's began with a capital and ended with a full stop). */
export function checkCidFile(path: string, verb: 'run' | 'create'): void {
  if (existsSync(path)) throw new CommandError(`strata: container ID file found, make sure the other container isn't running or delete ${path}\n\nRun 'strata ${verb} --help' for more information`, 125);
}

export function writeCidFile(path: string, id: string): void {
  try {
    writeFileSync(path, id, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    throw new CommandError(`strata: failed to create the container ID file: ${(err as Error).message}`, 125);
  }
}
