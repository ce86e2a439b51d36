// Lets the writes of small files and symlinks run in the background while the extractor reads,
// hashes and checks the next entries: an import is otherwise a strict alternation of CPU (parsing,
// sha256) and file-system round trips. Safety does not depend on it: the extractor's tree is updated
// before a task starts, tasks only ever create a leaf inside a directory that already exists, and
// anything that touches a path again (replacing it, linking to it, removing a directory above it)
// first waits for the task at that path, or for all of them.
export class WriteQueue {
  private readonly pending = new Map<string, Promise<void>>();
  private failure: unknown = null;
  private bytes = 0;

  constructor(
    private readonly maxTasks = 32,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  /** Rethrows the first failure of a task that has finished. */
  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Starts `task` (which writes `path`, holding `bytes` of data in memory) once there is room. */
  async add(path: string, bytes: number, task: () => Promise<void>): Promise<void> {
    this.check();
    while (this.pending.size >= this.maxTasks || (this.pending.size > 0 && this.bytes + bytes > this.maxBytes)) {
      await Promise.race(this.pending.values());
    }
    this.check();
    this.bytes += bytes;
    const run: Promise<void> = task()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.bytes -= bytes;
        if (this.pending.get(path) === run) this.pending.delete(path);
      });
    this.pending.set(path, run);
  }

  /** Waits for the task writing `path`, if there is one. */
  async settle(path: string): Promise<void> {
    const p = this.pending.get(path);
    if (p) await p;
    this.check();
  }

  /** Waits for every task; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending.values());
    this.check();
  }

  /** Waits for every task, ignoring failures: after an error, before the caller removes the dir. */
  async quiesce(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending.values());
  }
}
