// The contract: every method the helper serves, its parameter schema and its result type.
// Methods are named noun.verb. Notifications (helper -> client) are at the end.
import { s, SchemaError, type Infer, type Schema } from './schema';
import type {
  BuildStep, Change, ContainerDetail, DirEntry, FileVersion, ContainerProcessInfo, ContainerStats, ContainerSummary, DiskUsage, FileContent, HistoryEntry, ImageDetail, ImageSummary, LayerInfo, StreamName,
} from './types';
import type { StoreCheckReport, SystemInfo } from './types';
import { ULIMIT_NAMES } from './types';

/** An upload token: 128 random bits as lowercase hex (engine/uploads.ts makes them). */
export const UPLOAD_TOKEN_CHARS = 32;

// Exact forms for ids, so that a value can never be a path or an option (moby: ^[a-f0-9]{64}$).
export const patterns = {
  imageRef: /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/,
  containerRef: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
  layerRef: /^(sha256:)?[a-f0-9]{4,64}$/,
  /** A container's full id (64 random hex digits; its first 12 are its hostname). */
  containerId: /^[a-f0-9]{64}$/,
  session: /^[a-f0-9]{64}$/,
  token: new RegExp(`^[a-f0-9]{${UPLOAD_TOKEN_CHARS}}$`),
  /** What base64 data is; chunks are checked by isBase64, which gives the same answers faster. */
  base64: /^[A-Za-z0-9+/]*={0,2}$/,
  env: /^[^=]+=/s,
  signal: /^(SIG)?[A-Z0-9+-]{1,12}$|^[0-9]{1,2}$/,
};

const imageRef = s.string({ pattern: patterns.imageRef, max: 255, what: 'an image name[:tag] or id' });
const containerRef = s.string({ pattern: patterns.containerRef, max: 128, what: 'a container name or id' });
const layerRef = s.string({ pattern: patterns.layerRef, max: 71, what: 'a layer id (hex)' });
const session = s.string({ pattern: patterns.session, max: 64, what: 'a session id' });
const token = s.string({ pattern: patterns.token, max: 32, what: 'an upload token' });

/** A registry reference: HOST[:PORT]/REPO[:TAG|@sha256:HEX] (distribution/registry-ref.ts parses it; never a URL or a path). */
const registryRef = s.string({ pattern: /^[A-Za-z0-9[][A-Za-z0-9._:/@[\]-]*$/, max: 512, what: 'a registry reference HOST[:PORT]/REPO[:TAG]' });
/** Credentials for one request (never written by the helper). */
const registryAuth = s.optional(s.object({ username: s.string({ max: 1024 }), password: s.string({ max: 65536 }) }));

const notBase64 = /[^A-Za-z0-9+/=]/;
/**
 * patterns.base64, in one scan that never backtracks: only A-Za-z0-9+/, and '=' only as up to
 * two final characters (as the pattern, the length need not be a multiple of 4). The anchored
 * pattern took 7.8 ms on a 1.4 MB chunk (1 MiB of data), this 2.3 ms (Node 20, one core): the
 * pattern was the helper's biggest cost in a base64 upload, ~1.2 s per 204 MB.
 */
export function isBase64(v: string): boolean {
  if (notBase64.test(v)) return false;
  const eq = v.indexOf('=');
  return eq < 0 || (eq >= v.length - 2 && v.charCodeAt(v.length - 1) === 0x3d);
}
const chunkString = s.string({ max: 1_400_000 });
const chunk: Schema<string> = {
  optional: false,
  check(value, where) {
    const v = chunkString.check(value, where);
    if (!isBase64(v)) throw new SchemaError(`${where}: not base64 data: ${JSON.stringify(v.slice(0, 80))}`);
    return v;
  },
};
const word = s.string({ max: 65536 });
const envList = s.array(s.string({ pattern: patterns.env, max: 65536, what: 'KEY=VALUE' }), { max: 4096 });
const termSize = s.object({ cols: s.int({ min: 1, max: 10000 }), rows: s.int({ min: 1, max: 10000 }) });
const changes = s.optional(s.array(s.string({ max: 65536 }), { max: 256 }));
const filePath = s.string({ pattern: /^\//, max: 4096, what: 'an absolute path inside the container' });

/** Exactly one of layer, container, image, each in its own exact form. */
const fileVersion: Schema<FileVersion> = {
  optional: false,
  check(value, where) {
    const keys = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
    if (keys.length !== 1) throw new SchemaError(`${where}: expected one of {layer}, {container}, {image}`);
    const v = value as Record<string, unknown>;
    if (keys[0] === 'layer') return { layer: layerRef.check(v.layer, `${where}.layer`) };
    if (keys[0] === 'container') return { container: containerRef.check(v.container, `${where}.container`) };
    if (keys[0] === 'image') return { image: imageRef.check(v.image, `${where}.image`) };
    throw new SchemaError(`${where}: unknown field "${keys[0]}": expected layer, container or image`);
  },
};

const containerName = s.string({ pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, what: 'a container name ([A-Za-z0-9][A-Za-z0-9_.-]*)' });

export const containerOptions = s.object({
  cmd: s.optional(s.array(word, { max: 4096 })),
  entrypoint: s.optional(s.string({ max: 4096 })),
  tty: s.bool(),
  openStdin: s.bool(),
  name: s.optional(containerName),
  env: envList,
  workdir: s.optional(s.string({ pattern: /^\//, max: 4096, what: 'an absolute path' })),
  user: s.optional(s.string({ pattern: /^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$/, what: 'a user name or uid[:gid]' })),
  hostname: s.optional(s.string({ pattern: /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, what: 'a host name' })),
  network: s.oneOf('none', 'host'),
  memory: s.optional(s.int({ min: 6 * 1024 * 1024, max: 2 ** 50 })),
  pidsLimit: s.optional(s.int({ min: 1, max: 4194304 })),
  autoRemove: s.bool(),
  // Each new field bounded: the record is stored and shown (labels: size), a hosts line must stay
  // one line (extraHosts: no newline or space can add entries), a signal and a limit reach the
  // shim's command line (exact forms only), capabilities are names only: which may be added is
  // the engine's decision (engine/run-options.ts), not the client's.
  labels: s.optional(s.record(s.string({ min: 1, max: 1024 }), s.string({ max: 65536 }), { max: 256 })),
  stopSignal: s.optional(s.string({ pattern: patterns.signal, max: 12, what: 'a signal' })),
  stopTimeout: s.optional(s.int({ min: 0, max: 3600 })),
  init: s.optional(s.bool()),
  extraHosts: s.optional(s.array(s.string({ pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}:[0-9A-Fa-f:.]{2,45}$/, max: 300, what: 'NAME:IP' }), { max: 256 })),
  ulimits: s.optional(s.array(s.object({ name: s.oneOf(...ULIMIT_NAMES), soft: s.int({ min: -1 }), hard: s.int({ min: -1 }) }), { max: 32 })),
  nanoCpus: s.optional(s.int({ min: 10_000_000, max: 1024 * 1e9 })),
  cpuShares: s.optional(s.int({ min: 2, max: 262144 })),
  noNewPrivileges: s.optional(s.bool()),
  capAdd: s.optional(s.array(s.string({ pattern: /^[A-Za-z_]{1,40}$/, max: 40, what: 'a capability name' }), { max: 64 })),
  capDrop: s.optional(s.array(s.string({ pattern: /^[A-Za-z_]{1,40}$/, max: 40, what: 'a capability name' }), { max: 64 })),
  restartPolicy: s.optional(s.object({ name: s.oneOf('no', 'on-failure', 'always', 'unless-stopped'), maximumRetryCount: s.int({ min: 0, max: 1_000_000 }) })),
});

const none = s.object({});

export const methods = {
  /** build: BUILD_ID of the helper (absent from helpers built before it existed). */
  'store.info': { params: none, result: {} as { root: string; helperPid: number; version: string; build?: string } },
  'images.list': { params: none, result: [] as ImageSummary[] },
  /** Where the store's bytes are: images (shared and unique), containers' changes. */
  'system.df': { params: none, result: {} as DiskUsage },
  /** strata info: counts, the host's kernel, CPUs and memory, the cgroup version, the security options. */
  'system.info': { params: none, result: {} as SystemInfo },
  /** fsck for the store: every layer re-verified, records and folders compared; `repair` fixes what it safely can. */
  'store.check': { params: s.object({ repair: s.bool() }), result: {} as StoreCheckReport },
  /** verify: each layer's tar is made again and checked against its diff_id (reads every file). */
  'image.inspect': { params: s.object({ ref: imageRef, verify: s.optional(s.bool()) }), result: {} as ImageDetail },
  'image.history': { params: s.object({ ref: imageRef }), result: [] as HistoryEntry[] },
  'image.tag': { params: s.object({ source: imageRef, target: s.string({ max: 255 }) }), result: {} as { id: string; tag: string } },
  'image.remove': { params: s.object({ ref: imageRef, force: s.bool() }), result: {} as { untagged: string[]; deleted: string[] } },
  /** Dangling (untagged) images, or with `all` every image, that no container uses and no image is built on. */
  'images.prune': { params: s.object({ all: s.bool() }), result: {} as { untagged: string[]; deleted: string[] } },
  'image.import': {
    params: s.object({
      token, name: s.optional(s.string({ max: 255 })), message: s.optional(s.string({ max: 65536 })), changes,
      /** Uncompressed bytes the import may write (default 32 GiB; never more than the store's disk has free). */
      maxBytes: s.optional(s.int({ min: 1, max: 2 ** 50 })),
      /** How many times its gzip stream the tar may be (default 100; 0: no limit). */
      maxCompressionRatio: s.optional(s.int({ min: 0, max: 1_000_000 })),
    }),
    result: {} as { id: string; layer: string; diffId: string },
  },
  /**
   * strata build: the context is the upload `token` (a tar); the output (Docker's classic builder's
   * lines and each RUN's own) arrives as session.output under the client's `session`, which
   * session.detach (or the connection's end) cancels; each step as progress under progressToken.
   * dockerfile: its path in the context (dockerfileName: how messages name it); a RUN that fails
   * fails the build with its exit code (the error's data.exitCode).
   */
  'image.build': {
    params: s.object({
      token, session, progressToken: s.optional(token),
      dockerfile: s.string({ pattern: /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]+$/, max: 4096, what: 'a relative path inside the context, without ..' }),
      dockerfileName: s.optional(s.string({ max: 4096 })),
      dockerfileOutsideContext: s.bool(),
      tags: s.array(s.string({ max: 255 }), { max: 64 }),
      buildArgs: envList,
      target: s.optional(s.string({ max: 128 })),
      noCache: s.bool(), remove: s.bool(), forceRemove: s.bool(),
      network: s.oneOf('none', 'host'),
      sourceDateEpoch: s.optional(s.string({ max: 20 })),
    }),
    result: {} as { id: string; tags: string[]; steps: BuildStep[] },
  },
  'image.busybox': { params: s.object({ name: s.optional(s.string({ max: 255 })) }), result: {} as { id: string; created: boolean } },
  /**
   * Debian's debootstrap into the store's staging area, imported as a one-layer image. Cancelled
   * with JSON-RPC's $/cancelRequest (rpc/connection.ts); progress carries progressToken. Only an
   * http(s) mirror: a root helper must not read a path a client names (file://).
   */
  'image.debootstrap': {
    params: s.object({
      suite: s.string({ pattern: /^[a-z][a-z0-9.-]{0,31}$/, what: 'a Debian suite (bookworm, bullseye, trixie, stable, ...)' }),
      name: s.optional(s.string({ max: 255 })),
      /** Default minbase; '-' is debootstrap's own default set (required and important). */
      variant: s.optional(s.oneOf('minbase', 'buildd', 'fakechroot', '-')),
      mirror: s.optional(s.string({ pattern: /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%+\/-]*)?$/, max: 1024, what: 'an http:// or https:// mirror URL' })),
      include: s.optional(s.array(s.string({ pattern: /^[a-z0-9][a-z0-9+.-]{0,99}$/, what: 'a Debian package name' }), { max: 1024 })),
      components: s.optional(s.array(s.string({ pattern: /^[a-z][a-z0-9-]{0,31}$/, what: 'an archive component (main, contrib, ...)' }), { max: 16 })),
      keepCache: s.optional(s.bool()),
      progressToken: s.optional(token),
    }),
    /** packages: how many .debs went in; downloaded: how many of them came from the mirror (not the store's cache). */
    result: {} as { id: string; layer: string; diffId: string; packages: number; downloaded: number },
  },
  'upload.begin': { params: none, result: {} as { token: string } },
  'upload.write': { params: s.object({ token, data: chunk }), result: {} as { received: number } },
  /**
   * size: the bytes the client sent. The helper first waits for a raw stream feeding the upload
   * to deliver all it sent, then refuses (and aborts) an upload whose count differs.
   */
  'upload.end': { params: s.object({ token, size: s.optional(s.int({ min: 0 })) }), result: {} as { received: number } },
  'upload.abort': { params: s.object({ token }), result: {} as Record<string, never> },
  /** Bytes for the client: read raw on a second connection (protocol/raw-download.ts), filled by save or export. */
  'download.begin': { params: none, result: {} as { token: string } },
  'download.abort': { params: s.object({ token }), result: {} as Record<string, never> },
  /**
   * A docker-archive (Docker 20.10's save) or an OCI image layout of the images, into a download;
   * compress: gzip'd layers; size: the bytes sent.
   */
  'image.save': { params: s.object({ token, refs: s.array(imageRef, { max: 1024 }), format: s.oneOf('docker', 'oci'), compress: s.optional(s.bool()) }), result: {} as { size: number } },
  /** The images of an archive (what save, docker save, podman save, skopeo write), from an upload. */
  'image.load': { params: s.object({ token }), result: {} as { images: { id: string; tags: string[] }[] } },
  /** The container's file system, flattened, as a tar into a download (docker export). */
  'container.export': { params: s.object({ token, id: containerRef }), result: {} as { size: number } },
  /** Pushes a local image named HOST[:PORT]/REPO[:TAG] to that registry (distribution API); progress per layer under progressToken. */
  'image.push': {
    params: s.object({
      ref: registryRef, insecure: s.optional(s.bool()), auth: registryAuth, progressToken: s.optional(token),
      /** Manifest and media types: docker (v2 schema 2, as docker push; the default) or oci. */
      format: s.optional(s.oneOf('docker', 'oci')),
      /** Bytes per upload PATCH (default 32 MiB); a blob that fits in one goes up in one PUT. */
      chunkSize: s.optional(s.int({ min: 64 * 1024, max: 1024 * 1024 * 1024 })),
    }),
    result: {} as { id: string; tag: string; digest: string; size: number; pushed: number; existed: number; mounted: number },
  },
  /** Pulls HOST[:PORT]/REPO[:TAG|@sha256:...] (every digest checked; nothing kept on a mismatch); progress per layer under progressToken. */
  'image.pull': {
    params: s.object({ ref: registryRef, insecure: s.optional(s.bool()), auth: registryAuth, progressToken: s.optional(token) }),
    result: {} as { id: string; digest: string; tag?: string; pulled: number; existed: number },
  },
  /** Checks a login against a registry (GET /v2/ with it); the helper keeps nothing: the client stores it. */
  'registry.login': {
    params: s.object({ host: s.string({ pattern: /^[A-Za-z0-9[][A-Za-z0-9.:[\]-]*$/, max: 261, what: 'a registry host[:port]' }), insecure: s.optional(s.bool()), auth: registryAuth }),
    result: {} as { host: string; plainHttp: boolean; loopback: boolean },
  },
  'layer.inspect': { params: s.object({ id: layerRef, verify: s.optional(s.bool()) }), result: {} as LayerInfo },
  'layer.changes': { params: s.object({ id: layerRef }), result: [] as Change[] },
  'containers.list': { params: s.object({ all: s.bool() }), result: [] as ContainerSummary[] },
  /** Every container that is not running. */
  'containers.prune': { params: none, result: {} as { deleted: string[] } },
  'container.create': { params: s.object({ image: imageRef, options: containerOptions }), result: {} as { id: string; name: string } },
  'container.start': { params: s.object({ id: containerRef, size: s.optional(termSize) }), result: {} as { id: string } },
  'container.attach': {
    params: s.object({ id: containerRef, stdin: s.bool() }),
    result: {} as { session: string; tty: boolean; running: boolean },
  },
  'container.wait': { params: s.object({ id: containerRef }), result: {} as { exitCode: number } },
  'container.stop': { params: s.object({ id: containerRef, timeout: s.optional(s.int({ min: 0, max: 3600 })) }), result: {} as { id: string } },
  'container.kill': { params: s.object({ id: containerRef, signal: s.optional(s.string({ pattern: patterns.signal, max: 12, what: 'a signal' })) }), result: {} as { id: string } },
  'container.rename': { params: s.object({ id: containerRef, name: containerName }), result: {} as { id: string } },
  'container.pause': { params: s.object({ id: containerRef }), result: {} as { id: string } },
  'container.unpause': { params: s.object({ id: containerRef }), result: {} as { id: string } },
  'container.remove': { params: s.object({ id: containerRef, force: s.bool() }), result: {} as { id: string } },
  'container.inspect': { params: s.object({ id: containerRef }), result: {} as ContainerDetail },
  'container.changes': { params: s.object({ id: containerRef }), result: [] as Change[] },
  /** Its processes, host pid and pid inside, oldest first. */
  'container.top': { params: s.object({ id: containerRef }), result: [] as ContainerProcessInfo[] },
  /** The running containers' (or these ones') memory and tasks, against their limits. */
  'containers.stats': { params: s.object({ ids: s.array(containerRef, { max: 4096 }) }), result: [] as ContainerStats[] },
  /**
   * The container's kept output, as session.output notifications (with their time) under the
   * client's own `session` id, then session.exit (code 0): at the end of what is kept, or, with
   * `follow`, when the container stops. tail: only the last so many lines.
   */
  'container.logs': {
    // since/until: ms since the epoch (records printed at since or later, before until)
    params: s.object({ id: containerRef, session, follow: s.bool(), tail: s.optional(s.int({ min: 0, max: 2 ** 31 })), since: s.optional(s.int({ min: 0, max: 2 ** 53 - 1 })), until: s.optional(s.int({ min: 0, max: 2 ** 53 - 1 })) }),
    result: {} as { tty: boolean },
  },
  /** `path` as `version` shows it (a layer's chain, a container, an image): 'missing' where it does not exist there. */
  'file.read': { params: s.object({ version: fileVersion, path: filePath }), result: {} as FileContent },
  /**
   * Many paths of one version in one request (the multi-diff editor's files), in order. null: a
   * regular file whose bytes did not fit the answer (over 1 MiB, or past 4 MiB in all) or changed
   * while read: ask file.read for it. maxBytes 0: no file's bytes at all (what is there, and its kind).
   */
  'files.read': {
    params: s.object({ version: fileVersion, paths: s.array(filePath, { max: 4096 }), maxBytes: s.optional(s.int({ min: 0, max: 1024 * 1024 })) }),
    result: {} as { files: (FileContent | null)[] },
  },
  /**
   * The entries directly in directory `path` as `version` shows it (the merged view of its layers),
   * by name, at most `limit` of them (default 5,000): Browse Files in VS Code. NotFound when the path
   * is missing or not a directory there.
   */
  'file.list': {
    params: s.object({ version: fileVersion, path: filePath, limit: s.optional(s.int({ min: 1, max: 20_000 })) }),
    result: {} as { entries: DirEntry[]; truncated: boolean },
  },
  'container.commit': {
    params: s.object({
      id: containerRef,
      ref: s.optional(s.string({ max: 255 })),
      message: s.optional(s.string({ max: 65536 })),
      author: s.optional(s.string({ max: 1024 })),
      changes,
      pause: s.optional(s.bool()),
      /** Progress notifications carry this token. */
      progressToken: s.optional(token),
    }),
    result: {} as { id: string; layer: string; diffId: string },
  },
  'container.exec': {
    params: s.object({
      id: containerRef,
      cmd: s.array(word, { max: 4096 }),
      tty: s.bool(),
      openStdin: s.bool(),
      env: envList,
      workdir: s.optional(s.string({ pattern: /^\//, max: 4096, what: 'an absolute path' })),
      user: s.optional(s.string({ pattern: /^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$/, what: 'a user name or uid[:gid]' })),
    }),
    result: {} as { session: string },
  },
  'exec.start': { params: s.object({ session, size: s.optional(termSize) }), result: {} as { session: string } },
  'session.input': { params: s.object({ session, data: chunk }), result: {} as Record<string, never> },
  'session.closeStdin': { params: s.object({ session }), result: {} as Record<string, never> },
  'session.resize': { params: s.object({ session, cols: s.int({ min: 1, max: 10000 }), rows: s.int({ min: 1, max: 10000 }) }), result: {} as Record<string, never> },
  'session.detach': { params: s.object({ session }), result: {} as Record<string, never> },
  'session.signal': { params: s.object({ session, signal: s.string({ pattern: patterns.signal, max: 12, what: 'a signal' }) }), result: {} as Record<string, never> },
} satisfies Record<string, { params: Schema<unknown>; result: unknown }>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Infer<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = Methods[M]['result'];

/** Notifications the helper sends. */
export interface Notifications {
  /** Bytes from a session (a container's main process, or an exec), base64; from a log, with the
   *  time they were printed (ms since the epoch). */
  'session.output': { session: string; stream: StreamName; data: string; time?: number };
  /** The session's process ended; the container (for a main process) has stopped. */
  'session.exit': { session: string; exitCode: number };
  /** Progress of long work started with a progress token; stage: what it is at (image.debootstrap: sources/debootstrap-progress.ts); line: a build step's Dockerfile line. */
  progress: { token: string; message: string; done?: number; total?: number; stage?: string; line?: number; /** push/pull: the layer (short digest) the event is about. */ id?: string };
  /** The store changed: clients refresh their views. */
  changed: { what: 'images' | 'containers' | 'layers'; id?: string };
  /** A running container's files changed (coalesced: a few a second at most; engine/watch.ts): ask container.changes again. */
  'container.changed': { id: string };
}
export type NotificationName = keyof Notifications;

export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const PROTOCOL_VERSION = '1';

// Set by scripts/build.mjs (esbuild define) to a hash of the helper's sources, the same in every
// bundle of one build: a client can tell that the helper it reached was started from another build.
declare const STRATA_BUILD_ID: string | undefined;
export const BUILD_ID: string = typeof STRATA_BUILD_ID === 'string' ? STRATA_BUILD_ID : 'unbundled';
