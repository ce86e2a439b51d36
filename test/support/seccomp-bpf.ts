// A container's seccomp filter read back from the kernel (seccomp-dump.c) and run here on any
// syscall number and arguments, as the kernel runs it (classic BPF over struct seccomp_data), so a
// test can ask it about every number without making a single syscall.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './strata';

export interface Insn { code: number; jt: number; jf: number; k: number }

export function buildSeccompDump(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'seccomp-dump');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(repoRoot(), 'test/support/seccomp-dump.c')]);
  return out;
}

/** The filter process `pid` runs under, as the kernel holds it. */
export function dumpFilter(tool: string, pid: number): Insn[] {
  const text = execFileSync(tool, [String(pid)], { encoding: 'utf8' });
  return text.trim().split('\n').map((l) => {
    const [code, jt, jf, k] = l.split(' ').map(Number);
    return { code, jt, jf, k };
  });
}

// linux/audit.h, linux/seccomp.h
export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003, AARCH64: 0xc00000b7, ARM: 0x40000028 };
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;

export interface Call { nr: number; arch?: number; args?: bigint[] }
/** What the filter answers: 'allow', or the errno it returns ('EPERM', 'ENOSYS', or a number), and
 *  how many instructions it ran to decide. */
export interface Verdict { answer: string; steps: number }

const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 38: 'ENOSYS' };

/** The 32-bit word at `offset` of struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}, little-endian. */
function word(call: Call, offset: number): number {
  if (offset === 0) return call.nr >>> 0;
  if (offset === 4) return (call.arch ?? AUDIT_ARCH.X86_64) >>> 0;
  if (offset === 8 || offset === 12) return 0; // instruction_pointer
  const i = (offset - 16) >> 3;
  if (offset < 16 || i > 5 || offset % 4 !== 0) throw new Error(`seccomp_data has no word at ${offset}`);
  const arg = BigInt.asUintN(64, call.args?.[i] ?? 0n);
  return Number(offset % 8 === 0 ? arg & 0xffffffffn : arg >> 32n);
}

/** Runs the program on one call. Knows the instructions a seccomp filter of this shape uses and
 *  throws on any other, so a filter that grew a new kind of instruction is noticed. */
export function evaluate(prog: Insn[], call: Call): Verdict {
  let a = 0;
  for (let pc = 0, steps = 1; pc < prog.length; pc++, steps++) {
    const { code, jt, jf, k } = prog[pc];
    const u = k >>> 0;
    switch (code) {
      case 0x20: a = word(call, u); break; // BPF_LD | BPF_W | BPF_ABS
      case 0x05: pc += u; break; // BPF_JMP | BPF_JA
      case 0x15: pc += a === u ? jt : jf; break; // BPF_JEQ | BPF_K
      case 0x25: pc += a > u ? jt : jf; break; // BPF_JGT | BPF_K
      case 0x35: pc += a >= u ? jt : jf; break; // BPF_JGE | BPF_K
      case 0x45: pc += (a & u) !== 0 ? jt : jf; break; // BPF_JSET | BPF_K
      case 0x06: { // BPF_RET | BPF_K
        if (u === RET_ALLOW) return { answer: 'allow', steps };
        if ((u & 0xffff0000) >>> 0 === RET_ERRNO) return { answer: ERRNO_NAMES[u & 0xffff] ?? String(u & 0xffff), steps };
        return { answer: `ret 0x${u.toString(16)}`, steps };
      }
      default: throw new Error(`instruction ${pc}: code 0x${code.toString(16)} is not one this evaluator knows`);
    }
  }
  throw new Error('the program ran off its end');
}
