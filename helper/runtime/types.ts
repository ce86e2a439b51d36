// The runtime's contract with the engine: what to start, and the handle on what was started.
// Kept apart from the code so that the engine can import the types without pulling in execa.

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface LaunchSpec {
  /** 64 hex container id; the hostname defaults to id.slice(0, 12). */
  id: string;
  /** The store root: the overlay's short lower-dir links live in <storeRoot>/l. */
  storeRoot: string;
  /** <root>/containers/<id>. The runtime owns init/, upper/, work/, merged/, hostname, hosts and
   *  resolv.conf in it; config.json belongs to the store. */
  containerDir: string;
  /** The image's layer dirs, BASE FIRST (lowest first). */
  layerDirs: string[];
  cmd: string[];
  /** Exactly the container's environment, "K=V" each. */
  env: string[];
  /** Absolute; created in the container if missing, as Docker does for WORKDIR. '' means '/'. */
  cwd: string;
  /** NAME | UID [ :GROUP | :GID ], resolved in the container's /etc/passwd; '' means root. */
  user: string;
  /** '' means id.slice(0, 12). */
  hostname: string;
  tty: boolean;
  /** false: the container's stdin is /dev/null. */
  openStdin: boolean;
  network: 'none' | 'host';
  /** No limit when unset. */
  memoryBytes?: number;
  /** Unset: DEFAULT_PIDS_LIMIT (a fork bomb must not take the host). 0 or less: no limit. */
  pidsLimit?: number;
  /** --cpus, in billionths of a CPU (cgroup cpu: CFS quota per 100 ms). */
  nanoCpus?: number;
  /** --cpu-shares (cgroup cpu.shares). */
  cpuShares?: number;
  /** --init: pid 1 is a reaper that forwards signals; the command is its child (native/init.c). */
  init?: boolean;
  /** --add-host: "NAME:IP" each, appended to the container's /etc/hosts. */
  extraHosts?: string[];
  size?: TerminalSize;
  capabilities?: bigint;
  noNewPrivileges?: boolean;
  ulimits?: Ulimit[];
}

/** One --ulimit: a resource name as Docker spells it, soft <= hard, -1 for unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface ExecSpec {
  cmd: string[];
  env: string[];
  cwd: string;
  user: string;
  tty: boolean;
  openStdin: boolean;
  size?: TerminalSize;
  /** The capability mask the process keeps (default: Docker's set without MKNOD, DEFAULT_CAPS). */
  capabilities?: bigint;
  /** Default true (Strata's default; Docker's is false): setuid programs cannot gain privileges. */
  noNewPrivileges?: boolean;
  ulimits?: Ulimit[];
}

/** stdout and stderr must be consumed (read, piped or resume()d): as with any pipe, output nobody
 *  reads eventually blocks the container, and `exited` waits until all output was delivered. */
export interface ContainerProcess {
  /** Host pid of the process (for launch: the container's init). */
  readonly pid: number;
  readonly stdin: NodeJS.WritableStream | null;
  /** With a tty: the terminal's output. */
  readonly stdout: NodeJS.ReadableStream;
  /** null with a tty (the terminal carries both). */
  readonly stderr: NodeJS.ReadableStream | null;
  resize(cols: number, rows: number): void;
  signal(sig: NodeJS.Signals | number): void;
  /** The exit code, 128+n if killed by signal n. Resolves once, after all output was delivered. */
  readonly exited: Promise<number>;
}

export const DEFAULT_PIDS_LIMIT = 4096;
