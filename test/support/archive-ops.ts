// Driving strata-fs's unpack and copy directly, with hand-made operation streams: what the
// tool itself refuses, whatever the TypeScript side (extract.ts, copy.ts) would have sent.
import { execa } from 'execa';
import { nativeTool } from '../../helper/native';

export type Field = string | number | Buffer;

/** One operation: a letter and its NUL-terminated fields (then raw data, for F, C and X). */
export function op(letter: string, ...fields: Field[]): Buffer {
  return Buffer.concat([letter, ...fields].flatMap((f) => [Buffer.isBuffer(f) ? f : Buffer.from(String(f), 'latin1'), Buffer.alloc(1)]));
}

/** F: a regular file with its data. */
export function fileOp(path: string, data: string | Buffer, mode = 0o644, uid = 0, gid = 0, sec = 1_600_000_000, nsec = 0): Buffer {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([op('F', path, mode, uid, gid, sec, nsec, body.length), body]);
}

export interface ToolResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `strata-fs <args>` with `ops` on stdin; never throws on a failure exit. */
export async function runTool(args: string[], ops: Buffer[]): Promise<ToolResult> {
  const r = await execa(nativeTool('strata-fs'), args, { input: Buffer.concat(ops), encoding: 'buffer', reject: false, stripFinalNewline: false });
  return { code: r.exitCode ?? -1, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr).toString('utf8') };
}

export function unpack(dir: string, ops: Buffer[]): Promise<ToolResult> {
  return runTool(['unpack', dir], ops);
}

/** copy SRC DEST: the result's stdout without the walk that starts it. */
export async function copy(src: string, dest: string, ops: Buffer[]): Promise<ToolResult & { walk: Buffer }> {
  const r = await runTool(['copy', src, dest], ops);
  const len = r.stdout.length >= 16 ? Number(r.stdout.toString('latin1', 0, 15)) : 0;
  return { ...r, walk: r.stdout.subarray(16, 16 + len), stdout: r.stdout.subarray(16 + len) };
}
