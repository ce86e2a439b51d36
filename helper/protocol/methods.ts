// The contract: every method the helper serves, its parameter schema and its result type.
// Methods are named noun.verb. Notifications (helper -> client) are at the end.
import { s, SchemaError, type Infer, type Schema } from './schema';
import type {
  Change, ContainerDetail, FileVersion, ContainerProcessInfo, ContainerStats, ContainerSummary, DiskUsage, FileContent, HistoryEntry, ImageDetail, ImageSummary, LayerInfo, StreamName,
} from './types';
import type { StoreCheckReport } from './types';

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
});

const none = s.object({});

export const methods = {
  /** build: BUILD_ID of the helper (absent from helpers built before it existed). */
  'store.info': { params: none, result: {} as { root: string; helperPid: number; version: string; build?: string } },
  'images.list': { params: none, result: [] as ImageSummary[] },
  /** Where the store's bytes are: images (shared and unique), containers' changes. */
  'system.df': { params: none, result: {} as DiskUsage },
  /** fsck for the store: every layer re-verified, records and folders compared; `repair` fixes what it safely can. */
  'store.check': { params: s.object({ repair: s.bool() }), result: {} as StoreCheckReport },
  'image.inspect': { params: s.object({ ref: imageRef }), result: {} as ImageDetail },
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
  'image.busybox': { params: s.object({ name: s.optional(s.string({ max: 255 })) }), result: {} as { id: string; created: boolean } },
  'upload.begin': { params: none, result: {} as { token: string } },
  'upload.write': { params: s.object({ token, data: chunk }), result: {} as { received: number } },
  /**
   * size: the bytes the client sent. The helper first waits for a raw stream feeding the upload
   * to deliver all it sent, then refuses (and aborts) an upload whose count differs.
   */
  'upload.end': { params: s.object({ token, size: s.optional(s.int({ min: 0 })) }), result: {} as { received: number } },
  'upload.abort': { params: s.object({ token }), result: {} as Record<string, never> },
  'layer.inspect': { params: s.object({ id: layerRef }), result: {} as LayerInfo },
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
    params: s.object({ id: containerRef, session, follow: s.bool(), tail: s.optional(s.int({ min: 0, max: 2 ** 31 })) }),
    result: {} as { tty: boolean },
  },
  /** `path` as `version` shows it (a layer's chain, a container, an image): 'missing' where it does not exist there. */
  'file.read': { params: s.object({ version: fileVersion, path: filePath }), result: {} as FileContent },
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
  /** Progress of long work started with a progress token. */
  progress: { token: string; message: string; done?: number; total?: number };
  /** The store changed: clients refresh their views. */
  changed: { what: 'images' | 'containers' | 'layers'; id?: string };
}
export type NotificationName = keyof Notifications;

export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const PROTOCOL_VERSION = '1';

// Set by scripts/build.mjs (esbuild define) to a hash of the helper's sources, the same in every
// bundle of one build: a client can tell that the helper it reached was started from another build.
declare const STRATA_BUILD_ID: string | undefined;
export const BUILD_ID: string = typeof STRATA_BUILD_ID === 'string' ? STRATA_BUILD_ID : 'unbundled';
