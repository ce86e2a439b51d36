// A container's output, kept on disk as Docker's json-file driver keeps it, so that `strata logs`
// shows what a container printed while nobody was attached (run -d), after it exited, and after
// the helper restarted. Only the main process's output is kept (an exec's is not, as in Docker).
//
// containers/<id>/log holds records, each a 16-byte head and the bytes as the process wrote them:
//   [0] stream (1 stdout, 2 stderr)  [1..3] zero  [4..7] length (uint32 BE)  [8..15] time (ms, float64 BE)
// Threat: a container that prints without end would fill the store's disk. The file is rotated
// to log.1 once it would pass MAX_LOG_FILE_BYTES, so the two hold the latest 32-64 MiB of output.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, read, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { StreamName } from '../protocol/types';
import type { Session, SessionListener } from './sessions';

export const MAX_LOG_FILE_BYTES = 32 * 1024 * 1024;
const HEAD = 16;
/** The longest record: a longer length read back is corruption (the writer splits longer chunks). */
const MAX_RECORD = 1 << 20;

export interface LogRecord {
  stream: StreamName;
  data: Buffer;
  /** When the helper received it, in ms since the epoch. */
  time: number;
}

export interface LogFollower {
  record(r: LogRecord): void;
  /** No more records: the log was read to its end, or (when following) the container stopped. */
  end(): void;
}

const logPath = (containerDir: string) => join(containerDir, 'log');
const rotatedPath = (containerDir: string) => join(containerDir, 'log.1');

/** Records in `buf`, up to the first that is torn (a crash mid-write) or not a record at all. */
export function parseRecords(buf: Buffer): LogRecord[] {
  const out: LogRecord[] = [];
  for (let pos = 0; pos + HEAD <= buf.length; ) {
    const stream = buf[pos] === 1 ? 'stdout' : buf[pos] === 2 ? 'stderr' : null;
    const len = buf.readUInt32BE(pos + 4);
    if (!stream || buf[pos + 1] | buf[pos + 2] | buf[pos + 3] || len > MAX_RECORD || pos + HEAD + len > buf.length) break;
    out.push({ stream, time: buf.readDoubleBE(pos + 8), data: buf.subarray(pos + HEAD, pos + HEAD + len) });
    pos += HEAD + len;
  }
  return out;
}

function encodeRecord(r: LogRecord): Buffer {
  const head = Buffer.alloc(HEAD);
  head[0] = r.stream === 'stdout' ? 1 : 2;
  head.writeUInt32BE(r.data.length, 4);
  head.writeDoubleBE(r.time, 8);
  return Buffer.concat([head, r.data]);
}

/**
 * The records that hold the last `lines` lines (a line ends with a newline; output that does not
 * end with one counts as a line too), the first of them cut where its kept part starts.
 */
export function tailLines(records: LogRecord[], lines: number): LogRecord[] {
  if (lines <= 0) return [];
  let count = 0; // lines begun so far, walking back from the end
  let atEnd = true;
  for (let i = records.length - 1; i >= 0; i--) {
    const d = records[i].data;
    for (let j = d.length - 1; j >= 0; j--) {
      if (atEnd) {
        // The very last byte begins the last line, whether it ends that line or not.
        atEnd = false;
        count = 1;
        if (d[j] === 0x0a) continue;
      }
      if (d[j] !== 0x0a) continue;
      // This newline ends the line before the ones counted.
      if (count === lines) {
        const head = j + 1 < d.length ? [{ ...records[i], data: d.subarray(j + 1) }] : [];
        return [...head, ...records.slice(i + 1)];
      }
      count++;
    }
  }
  return records;
}

/** The writer of one container's log while it runs, and the way to read (and follow) it. */
export class ContainerLog implements SessionListener {
  private fd: number | null = null;
  private size = 0;
  private readonly followers = new Set<LogFollower>();

  constructor(private readonly dir: string) {}

  /**
   * Starts writing (a container's start): appends to what earlier runs left. False when the file
   * cannot be opened (a full disk): the container still starts, its output just is not kept.
   */
  open(): boolean {
    if (this.fd !== null) return true;
    try {
      this.fd = openSync(logPath(this.dir), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
      this.size = fstatSync(this.fd).size;
      return true;
    } catch {
      if (this.fd !== null) closeSync(this.fd);
      this.fd = null;
      return false;
    }
  }

  output(stream: StreamName, data: Buffer): void {
    const time = Date.now();
    // (Chunks from a pipe or pty are far smaller; a bigger one is kept as several records.)
    for (let off = 0; off < data.length; off += MAX_RECORD) this.append({ stream, data: data.subarray(off, off + MAX_RECORD), time });
  }

  private append(record: LogRecord): void {
    if (this.fd !== null) {
      try {
        const bytes = encodeRecord(record);
        if (this.size > 0 && this.size + bytes.length > MAX_LOG_FILE_BYTES) this.rotate();
        // Synchronous, so that `size` always says where the file ends: a follower starting now
        // reads up to it from the file and takes everything after it from here.
        const written = writeSync(this.fd, bytes);
        if (written === bytes.length) this.size += bytes.length;
        else ftruncateSync(this.fd, this.size); // a short write (a full disk): no torn record stays
      } catch {
        // A full disk loses log lines, never the container: its output still reaches attached clients.
      }
    }
    for (const f of this.followers) f.record(record);
  }

  exit(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    for (const f of [...this.followers]) f.end();
    this.followers.clear();
  }

  private rotate(): void {
    closeSync(this.fd!);
    this.fd = null;
    renameSync(logPath(this.dir), rotatedPath(this.dir));
    this.open();
  }

  /**
   * Sends `follower` the records kept so far (the last `tail` lines of them, when given), then,
   * with `follow` and while the container runs, each new one; then end(). Returns a function
   * that stops it early.
   */
  read(opts: { follow: boolean; tail?: number; since?: number; until?: number }, follower: LogFollower): () => void {
    // --since/--until (ms since the epoch): only records printed in [since, until), as docker logs
    const inTime = (r: LogRecord) => (opts.since === undefined || r.time >= opts.since) && (opts.until === undefined || r.time < opts.until);
    // In this one tick: the files as they are now (open descriptors keep them through a rotation)
    // and the sizes to read them to. Records from here on come from output(): none twice, none lost.
    const files = [rotatedPath(this.dir), logPath(this.dir)].flatMap((path) => {
      try {
        const fd = openSync(path, constants.O_RDONLY);
        const size = path === logPath(this.dir) && this.fd !== null ? this.size : fstatSync(fd).size;
        return [{ fd, size: Math.min(size, MAX_LOG_FILE_BYTES + HEAD + MAX_RECORD) }];
      } catch {
        return []; // no such file (yet)
      }
    });
    const live = opts.follow && this.fd !== null;
    let state: 'past' | 'live' | 'done' = 'past';
    const queued: LogRecord[] = [];
    let stoppedMeanwhile = false;
    const finish = () => {
      if (state === 'done') return;
      state = 'done';
      this.followers.delete(relay);
      follower.end();
    };
    const relay: LogFollower = {
      record: (r) => {
        if (state === 'past') queued.push(r);
        else if (state === 'live' && inTime(r)) follower.record(r);
      },
      end: () => (state === 'past' ? (stoppedMeanwhile = true) : finish()),
    };
    if (live) this.followers.add(relay);
    readFiles(files).then(
      (records) => {
        if (state === 'done') return;
        const wanted = records.filter(inTime);
        for (const r of opts.tail === undefined ? wanted : tailLines(wanted, opts.tail)) follower.record(r);
        state = 'live';
        for (const r of queued) if (inTime(r)) follower.record(r);
        if (!live || stoppedMeanwhile) finish();
      },
      finish,
    );
    return () => {
      state = 'done';
      this.followers.delete(relay);
    };
  }
}

async function readFiles(files: { fd: number; size: number }[]): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  try {
    for (const { fd, size } of files) {
      const buf = Buffer.alloc(size);
      let got = 0;
      while (got < size) {
        const n = await readAt(fd, buf, got);
        if (n === 0) break;
        got += n;
      }
      records.push(...parseRecords(buf.subarray(0, got)));
    }
    return records;
  } finally {
    for (const { fd } of files) closeSync(fd);
  }
}

function readAt(fd: number, buf: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, offset, buf.length - offset, offset, (err, n) => (err ? reject(err) : resolve(n))));
}

/** The log of the container whose main session this is (one per session, made on first use). */
const logs = new WeakMap<Session, ContainerLog>();
export function logOf(session: Session, containerDir: string): ContainerLog {
  let log = logs.get(session);
  if (!log) logs.set(session, (log = new ContainerLog(containerDir)));
  return log;
}
