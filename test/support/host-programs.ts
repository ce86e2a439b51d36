// A layer holding some of this host's own programs (bash, dash, node, dpkg...) with the shared
// libraries each needs, at the paths ldd names, so that a test can run glibc programs in a
// container without a Debian image (a debootstrap needs the network and minutes).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The shared objects `program` loads, the dynamic loader included (none for a static one). */
function sharedObjects(program: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [program], { encoding: 'utf8' });
  } catch {
    return []; // "not a dynamic executable"
  }
  const paths: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) paths.push(m[1]);
  }
  return paths;
}

function copyInto(layerDir: string, path: string): void {
  const dest = join(layerDir, path);
  if (existsSync(dest)) return;
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(path), dest);
}

/**
 * Copies each program (an absolute path on this host) and what it links to into `layerDir`, at
 * the same paths; `extra` are more files to copy as they are (data a program reads).
 */
export function hostProgramsLayer(layerDir: string, programs: string[], extra: string[] = []): void {
  for (const program of programs) {
    if (!existsSync(program)) throw new Error(`this host has no ${program} to copy into a test layer`);
    copyInto(layerDir, program);
    for (const lib of sharedObjects(program)) copyInto(layerDir, lib);
  }
  for (const file of extra) copyInto(layerDir, file);
}
