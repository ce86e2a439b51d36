// The shapes that travel between the helper and its clients (CLI, VS Code extension).
// Pure data: no vscode, no node:fs. Ids are full 'sha256:<64 hex>' for images and layers,
// 64 hex for containers and sessions.

export interface ImageSummary {
  id: string;
  repoTags: string[];
  created: string;
  size: number; // sum of its layers' sizes
  layers: number;
}

export interface LayerInfo {
  id: string; // chain id
  parent: string | null;
  diffId: string;
  size: number;
  created: string;
  createdBy: string;
  comment: string;
  path: string; // graph/<id>/layer on disk, for "I need to see it"
  /**
   * How the layer's tar (its sha256 is diffId) is made again for save and push: 'tar-split' (an
   * imported layer: the imported bytes, graph/<id>/tar-split), 'canonical' (a layer Strata made),
   * 'none' (an import whose tar cannot be reproduced: tarProblem says why).
   */
  tar: 'tar-split' | 'canonical' | 'none';
  /** Why the tar cannot be made again, when known (recorded at import, or found by a verify). */
  tarProblem?: string;
  /** Asked with verify: the tar was made again and its sha256 is diffId. */
  tarVerified?: boolean;
}

export interface ImageConfigBody {
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  // Set by Dockerfile builds, with Docker's names and shapes (strata build).
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
  /** Durations in nanoseconds, as Docker stores them. */
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface HistoryItem {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The OCI image config, as stored; the image id is the sha256 of its bytes. */
export interface ImageConfig {
  created: string;
  author?: string;
  architecture: string;
  os: string;
  config: ImageConfigBody;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: HistoryItem[];
}

/** One step of a build (strata build), for a client that links layers back to their Dockerfile lines. */
export interface BuildStep {
  line: number;
  instruction: string;
  /** The layer (chain id) the step added, null for a config-only or unchanged step. */
  layer: string | null;
  cached: boolean;
}

export interface ImageDetail {
  id: string;
  repoTags: string[];
  config: ImageConfig;
  layers: LayerInfo[]; // base first
  size: number;
}

export interface HistoryEntry {
  id: string; // layer chain id, or '<missing>' for an empty-layer step
  created: string;
  createdBy: string;
  comment: string;
  size: number;
  emptyLayer: boolean;
}

export type ChangeKind = 'A' | 'C' | 'D';
export interface Change {
  /** Absolute in the container, e.g. '/etc/motd'; names that are not UTF-8 show U+FFFD here. */
  path: string;
  kind: ChangeKind;
  /** The path's own bytes, base64, when they are not UTF-8 (a file name is bytes on Linux). */
  pathBytes?: string;
  /** A directory (for D: it was one): shown as a folder even when nothing below it changed. */
  dir?: true;
}

export type ContainerStatus = 'created' | 'running' | 'exited';
export type NetworkMode = 'none' | 'host';

export interface ContainerOptions {
  cmd?: string[]; // default: the image's Entrypoint+Cmd, else /bin/sh
  /** Replaces the image's Entrypoint ('' clears it); the image's Cmd is then not used. */
  entrypoint?: string;
  tty: boolean;
  openStdin: boolean;
  name?: string;
  env: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  network: NetworkMode;
  memory?: number;
  pidsLimit?: number;
  autoRemove: boolean;
  /** --label: the container's own, over its image's (Config.Labels). */
  labels?: Record<string, string>;
  /** --stop-signal (default the image's StopSignal, else SIGTERM) and --stop-timeout (seconds, default 10). */
  stopSignal?: string;
  stopTimeout?: number;
  /** --init: a reaper as pid 1 (Docker's docker-init/tini). */
  init?: boolean;
  /** --add-host NAME:IP entries for /etc/hosts. */
  extraHosts?: string[];
  /** --ulimit; soft and hard -1 mean unlimited. */
  ulimits?: { name: UlimitName; soft: number; hard: number }[];
  /** --cpus in billionths of a CPU; --cpu-shares. */
  nanoCpus?: number;
  cpuShares?: number;
  /** --security-opt no-new-privileges[=true|false]: absent means true, Strata's default (Docker's is false). */
  noNewPrivileges?: boolean;
  /** --cap-add / --cap-drop, as CAP_NAME (or ALL for drop). */
  capAdd?: string[];
  capDrop?: string[];
  /** --restart; absent: no. */
  restartPolicy?: RestartPolicy;
}

export const ULIMIT_NAMES = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'] as const;
export type UlimitName = (typeof ULIMIT_NAMES)[number];

export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** on-failure only: at most this many restarts (0: no limit). */
  maximumRetryCount: number;
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string; // as the user named it
  imageId: string;
  command: string[];
  created: string;
  status: ContainerStatus;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  tty: boolean;
  hostname: string;
  pid: number | null;
  /** Frozen by pause (status stays 'running', as in Docker). */
  paused: boolean;
  /** Times the helper restarted it by its --restart policy (Docker's RestartCount). */
  restartCount?: number;
  /** Its --label values (ps's Labels column, the label filter); the image's are not included. */
  labels?: Record<string, string>;
}

export interface ContainerDetail extends ContainerSummary {
  options: ContainerOptions;
  upperDir: string;
  layers: string[]; // image layer ids, base first
}

export type StreamName = 'stdout' | 'stderr';

/**
 * A version of a file system, as Git names a file by {path, ref}: the layers up to and including
 * layer (chain id) X; container C (its changes over its image); image I (its top layer's chain).
 * A diff's two sides are two versions of one path: a layer against its parent layer, a container
 * against its image. Later: any two layers or images, a path's history across layers.
 */
export type FileVersion = { layer: string } | { container: string } | { image: string };

/** One file as a version shows it, for the diff editor. */
export interface FileContent {
  kind: 'file' | 'dir' | 'symlink' | 'whiteout' | 'fifo' | 'chardev' | 'blockdev' | 'socket' | 'missing';
  size: number;
  mode: number;
  linkTarget?: string;
  data?: string; // base64, regular files only
  truncated: boolean;
}

/** One entry of a directory as a version shows it (file.list: Browse Files). */
export interface DirEntry {
  name: string;
  kind: Exclude<FileContent['kind'], 'missing' | 'whiteout'>;
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkTarget?: string;
}

/** system df: sizes in bytes (engine/disk-usage.ts). */
export interface DiskUsage {
  images: { id: string; repoTags: string[]; created: string; size: number; sharedSize: number; uniqueSize: number; containers: number }[];
  /** changesInLayer: the layer its changes were moved into by a commit (then size is 0). */
  containers: { id: string; name: string; image: string; command: string[]; created: string; status: ContainerStatus; size: number; changesInLayer: string | null }[];
  totals: Record<'images' | 'containers', { count: number; active: number; size: number; reclaimable: number }>;
}

/** A process of a running container (top), as the host sees it. */
export interface ContainerProcessInfo {
  pid: number;
  /** Its pid inside the container's pid namespace. */
  containerPid: number;
  ppid: number;
  uid: number;
  started: string;
  cpuSeconds: number;
  command: string;
  /** ps's C: its CPU time over its lifetime, in percent (whole). */
  cpuPercent?: number;
  /** ps's TTY: its controlling terminal ("pts/0", as the container names it), or "?". */
  tty?: string;
}

/** stats: what a running container's cgroups count now (null: no limit, or not counted here). */
export interface ContainerStats {
  id: string;
  name: string;
  memoryBytes: number | null;
  memoryLimit: number | null;
  pids: number | null;
  pidsLimit: number | null;
  /** CPU time of its processes now (user + system, seconds). */
  cpuSeconds: number;
  /** Bytes received and sent on its network namespace's interfaces (null with --network host: the host's). */
  netRx?: number | null;
  netTx?: number | null;
  /** Bytes read and written by its processes to block devices (blkio cgroup; null: not counted). */
  blockRead?: number | null;
  blockWrite?: number | null;
}

/** One thing `strata check` found (helper/store/check.ts). */
export interface CheckFinding {
  /** What it is about, under the store root: graph/<id>, images/<id>.json, repositories.json, containers/<id>, l/<name>, tmp/<name>. */
  path: string;
  /** What is wrong, in words a person can act on. */
  problem: string;
  /** What --repair did about it; absent when nothing was done (no --repair, or nothing safe to do). */
  repaired?: string;
}

/** store.check: what was looked at, what is wrong, what --repair did. */
export interface StoreCheckReport {
  root: string;
  repair: boolean;
  counts: { layers: number; verified: number; images: number; tags: number; containers: number };
  /** Every problem found; those without `repaired` remain. */
  problems: CheckFinding[];
  /** Layers whose diff_id the check cannot recompute from their files yet, and why. */
  unverifiable: { layer: string; why: string }[];
  /** The folder --repair moved what it could not place into (absent when it moved nothing). */
  lostAndFound?: string;
}

/** system.info: what `strata info` shows, with Docker's names where Docker has the fact. */
export interface SystemInfo {
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DockerRootDir: string;
  KernelVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  Name: string;
  ServerVersion: string;
  CgroupDriver: string;
  CgroupVersion: string;
  SecurityOptions: string[];
  /** Strata's own: its helper's pid, protocol and build. */
  Strata: { HelperPid: number; Protocol: string; Build?: string };
}
