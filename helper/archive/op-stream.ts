// The writing side of an import, and of commit's copy and in-place digest: one strata-fs process
// (`unpack DIR`, `copy SRC DEST` or `read SRC`) that performs, in order, the operations extract.ts
// (copy.ts) sends it down a pipe (format: native/main.c). The TypeScript side decides what is
// written (every check on names, types, links and limits stays there); the tool only writes, and
// on its own refuses any path that leaves DIR or passes through a symlink (openat2 RESOLVE_BENEATH
// | RESOLVE_NO_SYMLINKS) and any new entry over an existing one (O_EXCL and friends).
//
// Why: through node:fs every file costs ~6 round trips to libuv's thread pool (open, write, fchown,
// fchmod, futimes, close), and a CPU profile of the import showed the main thread mostly dispatching
// them and waiting. Measured on the debootstrap minbase tar (204 MB, 6768 entries) on this machine
// (2 shared CPUs; a fresh ext4 with a journal, so that ext4's no-journal inode allocator, which
// rescans recently deleted inodes on every creation on the main disk, does not drown the figures),
// medians of 5, interleaved in one run:
//   GNU tar -x                                      0.69 s
//   extractLayer, node:fs writes (before)           2.50 s   (3.6x tar)
//   extractLayer, this pipe (after)                 1.05 s   (1.5x tar)
//   strata-fs unpack alone, fed from a file         0.29-0.46 s (tar: 0.38-0.42 s)
// The tool writes as fast as tar; what remains is the helper's side on the other CPU (reading,
// sha256 of every byte for diff_id, parsing, the pipe: ~0.35-0.45 s of CPU), and the machine's two
// CPUs being shared. Through the CLI, the upload costs more than all of this: see client.ts.
// File bodies go straight from the tar reader into the pipe, with backpressure from the pipe.
//
// The tool runs through execa like every external program: its stdin and stdout are the same raw
// pipes child_process.spawn gives (nothing of execa's sits on the data path), so a bare spawn only
// saves execa's set-up, ~1.4 ms of the helper's CPU per process (a 0.6 MB tar extracted 30 times
// in one process, 3 runs: 6.8-7.2 ms of CPU per extract with spawn, 8.2-8.8 with execa). On a
// 295 MB tar of 6816 entries into a tmpfs, 35 interleaved runs each, medians: spawn 1.24 s wall
// and 658 ms of the helper's CPU, execa 1.31 s and 700 ms, with quartiles overlapping (1.02-1.59
// s against 1.10-1.70 s) on 2 CPUs shared at a load of 10, and one set of 15 runs the other way
// round (1.34 s against 1.32 s); a CPU profile of an execa run puts under 15 ms in execa's code,
// start-up included. No difference the import can show, so the convention stands.
import { execa, type Options } from 'execa';
import type { Readable, Writable } from 'node:stream';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { LongLived } from '../protocol/long-lived';
import { nativeTool } from '../native';
import { raceAbort } from './input';
import type { NativeImportIo } from './native-import';

// Small operations are gathered and written together; big bodies are written as they come.
const GATHER_BYTES = 256 * 1024;
// How much may wait in Node's write buffer before the writer waits for the pipe to drain.
const MAX_BUFFERED = 8 * 1024 * 1024;
// Parts smaller than this are joined into one buffer before they are written (write()).
const JOIN_BELOW = 4 * 1024;

type Field = string | number;

const cancelledHere = () => new StrataError(ErrorCode.Cancelled, 'cancelled');

/** What a strata-fs process is doing, for its errors: the caller's verb, and the tree it works on. */
interface Task {
  verb: 'extract' | 'copy' | 'digest';
  doing: string;
}

/** A strata-fs process that performs the operations written to it; the three commands below. */
abstract class OpStream {
  /** The tool's stdout, when its command prints anything (copy, read). */
  protected readonly stdout: Readable | null;
  private readonly stdin: Writable;
  private parts: Buffer[] = [];
  private partsLen = 0;
  private readonly stderr: Buffer[] = [];
  private readonly exited: Promise<number | null>;
  /** `exited`, raced against every wait for the pipe (LongLived: those waits are not kept). */
  private readonly exit: LongLived<number | null>;
  /** The tool's exit code once it has exited (null: killed by a signal, or never started). */
  private exitCode: number | null | undefined = undefined;
  private broken = false;
  private readonly kill: () => void;

  /** With `opsFd` 3, the tool's stdin is left to the subclass (import's tar: `toolStdin`). */
  protected readonly toolStdin: Writable | null;

  /**
   * An abort of `signal` ends any wait for the tool (the caller then aborts it). The operations
   * go to the tool's fd `opsFd`; `extraFd`, a descriptor of this process, becomes its fd 4.
   */
  protected constructor(
    args: string[],
    output: 'pipe' | 'ignore',
    private readonly task: Task,
    private readonly signal?: AbortSignal,
    opsFd: 0 | 3 = 0,
    extraFd?: number,
  ) {
    // execa passes a descriptor number in stdio on as it is (as child_process does); its types
    // allow one only for the first three.
    const stdio = (opsFd === 3 ? ['pipe', output, 'pipe', 'pipe', ...(extraFd === undefined ? [] : [extraFd])] : ['pipe', output, 'pipe']) as Options['stdio'];
    const proc = execa(nativeTool('strata-fs'), args, {
      stdio,
      buffer: false,
      reject: false,
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    this.kill = () => proc.kill('SIGKILL');
    this.stdout = proc.stdout;
    this.stdin = opsFd === 3 ? (proc.stdio[3] as Writable) : proc.stdin!;
    this.toolStdin = opsFd === 3 ? proc.stdin : null;
    // EPIPE once the tool has stopped, as on the operations' pipe below.
    this.toolStdin?.on('error', () => {});
    // EPIPE once the tool has stopped: its exit status and stderr say why.
    this.stdin.on('error', () => {
      this.broken = true;
    });
    proc.stderr!.on('data', (b: Buffer) => {
      if (this.stderr.length < 64) this.stderr.push(b);
    });
    // The exit is the process's, with its stderr read to the end: not execa's promise, which also
    // waits for stdout to be read to its end. A tool that stops (a full disk) with frames still
    // unread in its stdout would otherwise never count as stopped for a caller that waits for it
    // before reading on (pace() with the operations' pipe full): the import hung, its client too.
    const stderrRead = new Promise<void>((resolve) => proc.stderr!.once('close', resolve));
    const processExit = new Promise<number | null>((resolve) => {
      proc.once('exit', (code) => void stderrRead.then(() => resolve(code)));
    });
    const notStarted = proc.then((r) => {
      // Not started at all (no exit code, no signal): say why, as the tool's stderr would.
      if (r.exitCode === undefined && r.signal === undefined) this.stderr.push(Buffer.from(r.originalMessage || r.shortMessage || 'not started'));
      return r.exitCode ?? null;
    });
    this.exited = Promise.race([processExit, notStarted]).then((code) => {
      this.broken = true;
      this.exitCode = code;
      return code;
    });
    this.exit = new LongLived(this.exited);
  }

  /** One operation: its letter and fields. Binary (latin1) strings; no field may hold a NUL. */
  op(letter: string, ...fields: Field[]): void {
    let s = `${letter}\0`;
    for (const f of fields) {
      if (typeof f === 'string' && f.includes('\0')) {
        throw new StrataError(ErrorCode.BadArchive, `a NUL byte in ${JSON.stringify(f.replace(/\0/g, '\\0').slice(0, 80))}`);
      }
      s += `${f}\0`;
    }
    this.push(Buffer.from(s, 'latin1'));
  }

  /** Raw bytes that follow an F or X operation. */
  data(buf: Buffer): void {
    this.push(buf);
  }

  private push(buf: Buffer): void {
    if (buf.length === 0) return;
    this.parts.push(buf);
    this.partsLen += buf.length;
  }

  /** Writes what is gathered once there is enough of it; waits while the pipe is full. */
  async pace(): Promise<void> {
    if (this.partsLen >= GATHER_BYTES) this.write();
    if (this.stdin.writableLength > MAX_BUFFERED || this.broken) await this.drain();
  }

  /** Sends what is gathered now. */
  protected write(): void {
    if (this.partsLen === 0 || this.broken) return;
    // Corked: the parts leave in one writev(2), big bodies without first being copied into one
    // buffer (that copy was ~65 ms of the helper's CPU per 200 MB imported).
    // Small parts (operations, small files' data) are joined first: left as they are, each would
    // wait in the write buffer as a request of its own, and each small file's data is a view that
    // pins a whole 64 KB chunk of the tar, while the buffer's length counts only the view's bytes.
    // With the tool behind, 100,000 files of a few bytes (a 100 MB tar) had the whole tar's chunks,
    // 100 MB, and ~40 MB of requests held when the last entry was read.
    this.stdin.cork();
    let run: Buffer[] = [];
    const writeRun = () => {
      // Always a copy, even of one part: a part left as it is would pin its tar chunk.
      if (run.length) this.stdin.write(Buffer.concat(run));
      run = [];
    };
    for (const part of this.parts) {
      if (part.length < JOIN_BELOW) {
        run.push(part);
      } else {
        writeRun();
        this.stdin.write(part);
      }
    }
    writeRun();
    this.stdin.uncork();
    this.parts = [];
    this.partsLen = 0;
  }

  private async drain(): Promise<void> {
    if (!this.broken && this.stdin.writableLength > 0) {
      await this.until(new Promise((resolve) => this.stdin.once('drain', resolve)));
    }
    if (this.broken) throw await this.failure();
  }

  /** Waits for `p`, the tool's exit, or an abort (then throws). */
  private async until(p: Promise<unknown>): Promise<void> {
    const signal = this.signal;
    await this.exit.race(signal ? raceAbort(p, signal, cancelledHere) : p);
    if (signal?.aborted) throw cancelledHere();
  }

  /** Sends the rest and closes the stream, without waiting (copy, read: their output must be read meanwhile). */
  end(): void {
    this.write();
    if (!this.broken) this.stdin.end();
  }

  /** Sends the rest, closes the stream and waits for the tool to finish every operation. */
  async finish(): Promise<void> {
    this.end();
    await this.until(this.exited);
    if (this.exitCode !== 0) throw await this.failure();
  }

  /**
   * Stops the tool and waits until it has (nothing may be writing when the caller removes DIR).
   * Returns the tool's own failure if it had stopped on one: that came earlier in the stream than
   * whatever made the caller give up, so it is the error to report. (It stops by itself only at
   * the end of its input, or on a failure.)
   */
  async abort(): Promise<StrataError | null> {
    this.parts = [];
    this.partsLen = 0;
    if (this.exitCode === undefined) this.kill();
    // Unread output would keep the process from closing.
    this.stdout?.destroy();
    const code = await this.exited;
    return code !== null && code !== 0 ? this.failure() : null;
  }

  /** The tool's own error (its stderr names the path), once it has exited. */
  protected async failure(): Promise<StrataError> {
    await this.exited;
    const detail = Buffer.concat(this.stderr).toString('utf8').trim();
    const msg = detail || `strata-fs stopped (exit ${this.exitCode}) ${this.task.doing}`;
    // As node:fs reported it before: a name the file system cannot hold is a limit, not a bug.
    if (/File name too long/.test(msg)) return new StrataError(ErrorCode.LimitExceeded, `${this.task.verb}: ${msg}`);
    // An xattr value the kernel will not take (a malformed ACL, say) came from the tar: bad input.
    const xattr = /^strata-fs: ((?:security|system|user)\.\S+) (.+): Invalid argument$/m.exec(msg);
    if (xattr) return new StrataError(ErrorCode.BadArchive, `${this.task.verb}: entry "${xattr[2]}": the kernel refuses its ${xattr[1]} value (Invalid argument)`);
    return new StrataError(ErrorCode.Internal, `${this.task.verb}: ${msg}`);
  }
}

/** `strata-fs unpack DIR`: writes a layer into DIR from the operations extract.ts sends. */
export class LayerUnpacker extends OpStream {
  constructor(dir: string, signal?: AbortSignal) {
    super(['unpack', dir], 'ignore', { verb: 'extract', doing: `writing ${dir}` }, signal);
  }
}

/**
 * `strata-fs import DIR`: LayerUnpacker's operations (on the tool's fd 3), with the tar itself read
 * by the tool from its stdin and given back as frames, its file data held back (native-import.ts).
 */
export class LayerImporter extends OpStream {
  readonly io: NativeImportIo;

  /**
   * With `socket`, the tool reads the tar's rest from that descriptor (its fd 4; none when fd is
   * -1), at most `max` bytes in all.
   */
  constructor(dir: string, signal?: AbortSignal, socket?: { fd: number; max: number }) {
    const then = socket && socket.fd >= 0 ? socket.fd : undefined;
    super(['import', dir, ...(socket ? [String(socket.max), then === undefined ? '-' : '4'] : [])], 'pipe', { verb: 'extract', doing: `writing ${dir}` }, signal, 3, then);
    this.io = { tarIn: this.toolStdin!, frames: this.stdout!, failure: () => this.failure(), flush: () => this.write() };
  }
}

/**
 * `strata-fs copy SRC DEST`: prints the walk of SRC, then performs in DEST the operations copy.ts
 * sends (unpack's, and C: copy a file of SRC), echoing each copied file's bytes.
 */
export class TreeCopier extends OpStream {
  /** The walk of SRC (its length first), then the bytes of each file copied, in order. */
  readonly output: NodeJS.ReadableStream;

  constructor(src: string, dest: string) {
    super(['copy', src, dest], 'pipe', { verb: 'copy', doing: `writing ${dest}` });
    this.output = this.stdout!;
  }
}

/** `strata-fs read SRC`: prints the walk of SRC, then the bytes of each file asked for; writes nothing. */
export class TreeReader extends OpStream {
  /** The walk of SRC (its length first), then the bytes of each file read, in order. */
  readonly output: NodeJS.ReadableStream;

  constructor(src: string) {
    super(['read', src], 'pipe', { verb: 'digest', doing: `reading ${src}` });
    this.output = this.stdout!;
  }

  /** R: the bytes of the regular file at `path`, which must still be `size` bytes long. */
  readFile(path: string, size: number): void {
    this.op('R', path, size);
  }
}
