// The CVE-2019-5736 attack, planted in an image (exe-grab.c, exe-probe.c): a file whose first line
// is "#!/proc/self/exe" makes the runtime's exec load the runtime's own binary inside the container,
// and exe-grab, installed as that binary's dynamic loader, grabs it through /proc/self/exe.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './strata';

/** The path in a dynamically linked ELF's PT_INTERP (its loader), read from its program headers. */
export function elfInterpreter(file: string): string {
  const elf = readFileSync(file);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error(`${file} is not a 64-bit little-endian ELF`);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 3) continue; // PT_INTERP
    const offset = Number(elf.readBigUInt64LE(ph + 8));
    const size = Number(elf.readBigUInt64LE(ph + 32));
    return elf.subarray(offset, offset + size).toString('latin1').replace(/\0+$/, '');
  }
  throw new Error(`${file} has no PT_INTERP: it is static, and this attack needs a loader to stand in for`);
}

/** Builds the probes and puts them into `layerDir`: exe-grab as the loader `binary` asks for,
 *  /exe-probe, and /victim ("#!/proc/self/exe"). */
export function plantExeProbes(layerDir: string, binary: string, buildDir: string): void {
  mkdirSync(buildDir, { recursive: true });
  const src = join(repoRoot(), 'test/support');
  const grab = join(buildDir, 'exe-grab');
  const probe = join(buildDir, 'exe-probe');
  execFileSync('gcc', ['-static', '-nostdlib', '-fno-pie', '-no-pie', '-fno-stack-protector', '-O2', '-o', grab, join(src, 'exe-grab.c')]);
  execFileSync('gcc', ['-static', '-O2', '-o', probe, join(src, 'exe-probe.c')]);
  const loader = join(layerDir, elfInterpreter(binary));
  mkdirSync(dirname(loader), { recursive: true });
  copyFileSync(grab, loader);
  chmodSync(loader, 0o755);
  copyFileSync(probe, join(layerDir, 'exe-probe'));
  chmodSync(join(layerDir, 'exe-probe'), 0o755);
  writeFileSync(join(layerDir, 'victim'), '#!/proc/self/exe\n', { mode: 0o755 });
}
