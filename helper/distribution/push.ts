// strata push: an image's layers, config and manifest to a registry, as the distribution spec's
// push (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#push):
//  - each layer: a blob the registry already has is not sent (HEAD of a compressed form remembered
//    from an earlier push or pull: known-blobs.ts), or mounted from another repository of the same
//    registry; otherwise its tar, made again byte for byte (archive/reproduce.ts: sha256 = diff_id,
//    or the stream fails), is gzip'd (an imported layer's tar made and gzip'd in one native process:
//    archive/reproduce-gzip.ts; else native-gzip.ts, parallel-gzip.ts) and uploaded: in one PUT
//    when it is short (monolithic); else in one PATCH sent as the gzip makes it (chunked transfer
//    encoding, as docker push and skopeo do), or with --chunk-size in PATCH chunks with
//    Content-Range, each sent while the next is compressed; closed by a PUT with the digest. The
//    registry checks the digest it is given against what it got; a tar that fails to come back
//    fails the upload before that PUT (a streamed PATCH is cut off unfinished), so a wrong blob
//    is never committed.
//  - the config (its bytes as stored: their sha256 is the image id), then the manifest, Docker v2
//    schema 2 (as docker push) or OCI.
// The gzip'd blob's digest is remembered per layer, so a second push sends no layer and writes
// the same manifest (the same digest).
import { createHash } from 'node:crypto';
import { constants } from 'node:zlib';
import type { LayerTar } from '../archive/reproduce';
import type { GzippedLayerTar } from '../archive/reproduce-gzip';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { layerCompression, DOCKER, OCI } from './media-types';
import type { KnownBlob } from './known-blobs';
import { nativeGzip, nativeGzipAvailable } from './native-gzip';
import { parallelGzip } from './parallel-gzip';
import { bodyLength, headerOf, RegistryClient } from './registry-client';

export interface PushLayer {
  id: string;
  diffId: string;
  known: KnownBlob[];
  open(): Promise<LayerTar>;
  /**
   * The layer's tar made and gzip'd at `level` in one go, where that can be done (reproduce-gzip.ts);
   * null: use open() and gzip it apart. `progress` hears how much of the tar is made.
   */
  openGzipped?(level: number, progress: (tarBytes: number) => void): Promise<GzippedLayerTar | null>;
}

export interface PushEvent {
  /** The layer's short id (or 'config'). */
  id: string;
  status: 'Preparing' | 'Waiting' | 'Pushing' | 'Pushed' | 'Layer already exists' | 'Mounted';
  done?: number;
  total?: number;
}

export interface PushOptions {
  format: 'docker' | 'oci';
  /**
   * Bytes per PATCH, each with its Content-Range (--chunk-size); a blob that fits in one goes up
   * in one PUT. Without it: one streamed PATCH (a blob under MONOLITHIC_MAX: one PUT).
   */
  chunkSize?: number;
  report(e: PushEvent): void;
  remember(layerId: string, blob: Omit<KnownBlob, 'repos'>, repo: string): Promise<void>;
}

export interface PushResult {
  digest: string;
  size: number;
  pushed: number;
  existed: number;
  mounted: number;
}

// Docker's gzip is Go's default level; Strata's is zlib's fastest: the blob is made once per layer
// (its digest is remembered) and the push is bound by compression, not by the loopback network.
// It is libdeflate's in a process of its own when the system has it (native-gzip.ts), else zlib's
// on every CPU (parallel-gzip.ts), as skopeo's pgzip does.
const GZIP_LEVEL = constants.Z_BEST_SPEED;
const PARALLEL = 3;
// A blob shorter than this is sent in one PUT; a longer one is streamed from its first bytes.
const MONOLITHIC_MAX = 4 * 1024 * 1024;

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * The gzip'd blob, hashed as it is handed out, in pieces as the compressor made them: a chunk is
 * sent as the pieces that make it, never copied into one buffer (a copy of every 32 MB was a
 * tenth of a push's main thread, and its garbage).
 */
class HashedBlob {
  private readonly hash = createHash('sha256');
  private carry: Buffer | null = null;
  private ended = false;
  size = 0;

  constructor(private readonly source: AsyncGenerator<Buffer>) {}

  private take(b: Buffer): Buffer {
    this.hash.update(b);
    this.size += b.length;
    return b;
  }

  /** The next `max` bytes (fewer at the end); `done`: the blob ended within them. */
  async gather(max: number): Promise<{ parts: Buffer[]; done: boolean }> {
    const parts: Buffer[] = [];
    let n = 0;
    while (n < max) {
      let c = this.carry;
      this.carry = null;
      if (!c) {
        const r = this.ended ? { done: true as const } : await this.source.next();
        if (r.done) {
          this.ended = true;
          return { parts, done: true };
        }
        c = r.value;
      }
      if (n + c.length > max) {
        this.carry = c.subarray(max - n);
        c = c.subarray(0, max - n);
      }
      parts.push(this.take(c));
      n += c.length;
    }
    return { parts, done: false };
  }

  /** Whatever is left, as it comes. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.carry) {
      const c = this.carry;
      this.carry = null;
      yield this.take(c);
    }
    for (;;) {
      const r = await this.source.next();
      if (r.done) break;
      yield this.take(r.value);
    }
    this.ended = true;
  }

  /** Valid once the blob has ended. */
  digest(): string {
    if (!this.ended) throw new StrataError(ErrorCode.Internal, 'push: the blob\'s digest asked before its end');
    return `sha256:${this.hash.digest('hex')}`;
  }

  /** Stops the compressor (its process, or its blocks in flight). */
  async stop(): Promise<void> {
    await this.source.return(undefined).catch(() => undefined);
  }
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < items.length && failed === null) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed !== null) throw failed;
}

export class Pusher {
  private readonly repoKey: string;
  private readonly scope: string;

  constructor(private readonly client: RegistryClient, private readonly opts: PushOptions) {
    const { ref } = client;
    this.repoKey = `${ref.host}/${ref.repo}`;
    this.scope = `repository:${ref.repo}:pull,push`;
  }

  private get repo(): string {
    return this.client.ref.repo;
  }

  async blobExists(digest: string): Promise<boolean> {
    const reply = await this.client.request('HEAD', `/v2/${this.repo}/blobs/${digest}`, { scope: this.scope });
    reply.body.resume();
    if (reply.status === 200) return true;
    if (reply.status === 404) return false;
    throw new StrataError(ErrorCode.BadRequest, `HEAD of blob ${digest}: ${this.client.ref.host} answered HTTP ${reply.status}`);
  }

  /** A cross-repo mount (POST ?mount=&from=): true when mounted; a started upload instead is cancelled. */
  private async mount(digest: string, from: string): Promise<boolean> {
    const scope = `${this.scope} repository:${from}:pull`;
    const reply = await this.client.request('POST', `/v2/${this.repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { scope });
    reply.body.resume();
    if (reply.status === 201) return true;
    const location = headerOf(reply, 'location');
    if (reply.status === 202 && location) await this.client.request('DELETE', location, { scope: this.scope }).then((r) => r.body.resume(), () => undefined);
    return false;
  }

  private async startUpload(): Promise<string> {
    const reply = await this.client.expect('POST', `/v2/${this.repo}/blobs/uploads/`, [202], { scope: this.scope }, 'starting an upload');
    reply.body.resume();
    const location = headerOf(reply, 'location');
    if (!location) throw new StrataError(ErrorCode.BadRequest, `${this.client.ref.host} started an upload without a Location`);
    return location;
  }

  private withDigest(location: string, digest: string): string {
    const url = new URL(location, `${this.client.scheme}://${this.client.ref.apiHost}`);
    url.searchParams.set('digest', digest);
    return url.toString();
  }

  /** A blob whose bytes are all here (the config): POST, then one PUT with them. */
  async putBlob(data: Buffer, digest: string): Promise<void> {
    const location = await this.startUpload();
    const r = await this.client.expect('PUT', this.withDigest(location, digest), [201], { scope: this.scope, body: data, headers: { 'content-type': 'application/octet-stream' } }, `uploading blob ${short(digest)}`);
    r.body.resume();
  }

  private cancelUpload(location: string): Promise<void> {
    return this.client.request('DELETE', location, { scope: this.scope }).then((r) => { r.body.resume(); }, () => undefined);
  }

  /**
   * The layer's tar gzip'd and uploaded; its digest and size. Nothing waits for what it does not
   * need: the upload's POST goes while the tar is opened (its tar-split read through once), and the
   * gzip starts while the POST is answered.
   */
  private async uploadLayer(layer: PushLayer): Promise<{ digest: string; size: number }> {
    const starting = this.startUpload();
    starting.catch(() => undefined); // awaited below, or cancelled if the tar cannot be opened
    let gzip: { stream: AsyncGenerator<Buffer>; stop(): void };
    try {
      gzip = await this.gzipOf(layer);
    } catch (err) {
      await starting.then((location) => this.cancelUpload(location), () => undefined);
      throw err;
    }
    const blob = new HashedBlob(gzip.stream);
    const head = blob.gather(this.opts.chunkSize ?? MONOLITHIC_MAX); // the gzip starts now
    head.catch(() => undefined); // (awaited below)
    let location: string;
    try {
      location = await starting;
    } catch (err) {
      gzip.stop();
      await blob.stop();
      throw err;
    }
    try {
      const first = await head;
      // Shorter than that at its end: the whole blob in one PUT (monolithic).
      if (first.done) return await this.putUpload(location, blob, first.parts, layer);
      return this.opts.chunkSize
        ? await this.uploadChunked(location, blob, first.parts, this.opts.chunkSize, layer)
        : await this.uploadStreamed(location, blob, first.parts, layer);
    } catch (err) {
      gzip.stop();
      await blob.stop();
      await this.cancelUpload(location);
      throw err;
    }
  }

  /**
   * The layer's tar, gzip'd: made and compressed in one native process where it can be (an
   * imported layer, from its tar-split: archive/reproduce-gzip.ts), else its tar (layer.open)
   * through a gzip. A tar that fails to come back (a file's CRC-32, or the whole tar's length and
   * sha256, checked before its last bytes are let through) fails the gzip's reader, so the upload,
   * before its PUT: the blob is never completed and no manifest refers to it.
   */
  private async gzipOf(layer: PushLayer): Promise<{ stream: AsyncGenerator<Buffer>; stop(): void }> {
    const report = this.opts.report;
    const id = short(layer.diffId);
    let total = 0;
    const native = await layer.openGzipped?.(GZIP_LEVEL, (done) => report({ id, status: 'Pushing', done, total }));
    if (native) {
      total = native.size;
      return { stream: native.stream, stop: () => undefined }; // stopping the stream stops the tool
    }
    const tar = await layer.open();
    async function* counted(): AsyncGenerator<Buffer> {
      let read = 0;
      for await (const c of tar.stream as AsyncIterable<Buffer>) {
        read += c.length;
        report({ id, status: 'Pushing', done: read, total: tar.size });
        yield c;
      }
    }
    const stream = (await nativeGzipAvailable()) ? nativeGzip(counted(), GZIP_LEVEL) : parallelGzip(counted(), GZIP_LEVEL);
    return { stream, stop: () => tar.stream.destroy() };
  }

  /** The upload closed by a PUT with the blob's digest (and its last bytes, if any): the registry checks it and commits the blob. */
  private async putUpload(location: string, blob: HashedBlob, body: Buffer[] | undefined, layer: PushLayer): Promise<{ digest: string; size: number }> {
    const digest = blob.digest();
    const r = await this.client.expect('PUT', this.withDigest(location, digest), [201], { scope: this.scope, body, headers: { 'content-type': 'application/octet-stream' } }, `uploading layer ${short(layer.diffId)}`);
    r.body.resume();
    return { digest, size: blob.size };
  }

  /**
   * The rest of the blob in one PATCH, sent as it is compressed (chunked transfer encoding, as
   * docker push and skopeo send it), then the PUT. 32 MB chunks each sent once whole left the last
   * chunk's upload after the gzip's end (0.2 s of a minbase push) and the first PATCH at 1/3 of it.
   */
  private async uploadStreamed(location: string, blob: HashedBlob, first: Buffer[], layer: PushLayer): Promise<{ digest: string; size: number }> {
    async function* rest(): AsyncGenerator<Buffer> {
      yield* first;
      yield* blob.rest();
    }
    const r = await this.client.expect('PATCH', location, [202], {
      scope: this.scope, body: { stream: rest() }, headers: { 'content-type': 'application/octet-stream' },
    }, `uploading layer ${short(layer.diffId)}`);
    r.body.resume();
    return this.putUpload(headerOf(r, 'location') ?? location, blob, undefined, layer);
  }

  /** PATCH chunks of `chunkSize` bytes with Content-Range (--chunk-size), each sent while the next is compressed; then the PUT. */
  private async uploadChunked(location: string, blob: HashedBlob, first: Buffer[], chunkSize: number, layer: PushLayer): Promise<{ digest: string; size: number }> {
    let offset = 0;
    let data = first;
    for (;;) {
      const upcoming = blob.gather(chunkSize); // the next chunk is compressed while this one goes up
      upcoming.catch(() => undefined); // (awaited below; a failed PATCH must not leave it unhandled)
      location = await this.patch(location, data, offset, layer);
      offset += bodyLength(data);
      const next = await upcoming;
      if (next.parts.length === 0) return this.putUpload(location, blob, undefined, layer);
      data = next.parts;
    }
  }

  /** One chunk, at `offset`; the registry's Location for the next. */
  private async patch(location: string, data: Buffer[], offset: number, layer: PushLayer): Promise<string> {
    const r = await this.client.expect('PATCH', location, [202], {
      scope: this.scope, body: data,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + bodyLength(data) - 1}` },
    }, `uploading layer ${short(layer.diffId)}`);
    r.body.resume();
    return headerOf(r, 'location') ?? location;
  }

  private layerType(): string {
    return this.opts.format === 'oci' ? OCI.layerGzip : DOCKER.layerGzip;
  }

  /** One layer's descriptor: what the registry has, mounted, or uploaded. */
  async pushLayer(layer: PushLayer): Promise<{ digest: string; size: number; how: 'exists' | 'mounted' | 'pushed' }> {
    const id = short(layer.diffId);
    const gzipped = layer.known.filter((b) => layerCompression(b.mediaType, 'a remembered blob') === 'gzip');
    for (const b of gzipped) {
      if (await this.blobExists(b.digest)) {
        await this.opts.remember(layer.id, b, this.repoKey);
        this.opts.report({ id, status: 'Layer already exists' });
        return { digest: b.digest, size: b.size, how: 'exists' };
      }
    }
    const host = `${this.client.ref.host}/`;
    for (const b of gzipped) {
      const from = b.repos.find((r) => r.startsWith(host) && r !== this.repoKey);
      if (from && (await this.mount(b.digest, from.slice(host.length)))) {
        await this.opts.remember(layer.id, b, this.repoKey);
        this.opts.report({ id, status: 'Mounted' });
        return { digest: b.digest, size: b.size, how: 'mounted' };
      }
    }
    const up = await this.uploadLayer(layer);
    await this.opts.remember(layer.id, { ...up, mediaType: this.layerType() }, this.repoKey);
    this.opts.report({ id, status: 'Pushed' });
    return { ...up, how: 'pushed' };
  }

  async push(config: Buffer, imageId: string, layers: PushLayer[], tag: string): Promise<PushResult> {
    await this.client.ping();
    for (const l of layers) this.opts.report({ id: short(l.diffId), status: 'Preparing' });
    const descriptors: { digest: string; size: number }[] = new Array(layers.length);
    const counts = { pushed: 0, existed: 0, mounted: 0 };
    await pool(layers.map((l, i) => ({ l, i })), PARALLEL, async ({ l, i }) => {
      const d = await this.pushLayer(l);
      descriptors[i] = d;
      counts[d.how === 'exists' ? 'existed' : d.how]++;
    });
    if (!(await this.blobExists(imageId))) await this.putBlob(config, imageId);
    const oci = this.opts.format === 'oci';
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: oci ? OCI.manifest : DOCKER.manifest,
      config: { mediaType: oci ? OCI.config : DOCKER.config, size: config.length, digest: imageId },
      layers: descriptors.map((d) => ({ mediaType: this.layerType(), size: d.size, digest: d.digest })),
    }, null, 3));
    const digest = sha256(manifest);
    const r = await this.client.expect('PUT', `/v2/${this.repo}/manifests/${tag}`, [201], {
      scope: this.scope, body: manifest, headers: { 'content-type': oci ? OCI.manifest : DOCKER.manifest },
    }, `writing the manifest of ${this.repo}:${tag}`);
    r.body.resume();
    const said = headerOf(r, 'docker-content-digest');
    if (said && said !== digest) throw new StrataError(ErrorCode.BadRequest, `the registry stored the manifest as ${said}, not its digest ${digest}`);
    return { digest, size: manifest.length, ...counts };
  }
}
