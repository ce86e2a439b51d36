// strata push: an image's layers, config and manifest to a registry, as the distribution spec's
// push (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#push):
//  - each layer: a blob the registry already has is not sent (HEAD of a compressed form remembered
//    from an earlier push or pull: known-blobs.ts), or mounted from another repository of the same
//    registry; otherwise its tar, made again byte for byte (archive/reproduce.ts: sha256 = diff_id,
//    or the stream fails), is gzip'd (native-gzip.ts, parallel-gzip.ts) and uploaded: in one PUT
//    when it is shorter than one chunk (monolithic), else in PATCH chunks with Content-Range, each
//    sent while the next is compressed, closed by a PUT with the digest. The registry checks
//    the digest it is given against what it got; a tar that fails to come back fails the upload
//    before that PUT, so a wrong blob is never committed.
//  - the config (its bytes as stored: their sha256 is the image id), then the manifest, Docker v2
//    schema 2 (as docker push) or OCI.
// The gzip'd blob's digest is remembered per layer, so a second push sends no layer and writes
// the same manifest (the same digest).
import { createHash } from 'node:crypto';
import { constants } from 'node:zlib';
import type { LayerTar } from '../archive/reproduce';
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
  /** Bytes per PATCH; a blob that fits in one goes up in one PUT. */
  chunkSize: number;
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

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Chunks of exactly `size` bytes (the last one shorter) from a stream, each as the pieces that make
 * it: sent in turn, never copied into one buffer (a copy of every 32 MB was a tenth of a push's
 * main thread, and its garbage).
 */
async function* fixedChunks(stream: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer[]> {
  let parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    let c = chunk;
    while (n + c.length >= size) {
      const take = size - n;
      parts.push(c.subarray(0, take));
      yield parts;
      parts = [];
      n = 0;
      c = c.subarray(take);
    }
    if (c.length) {
      parts.push(c);
      n += c.length;
    }
  }
  if (n) yield parts;
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

  /** The layer's tar gzip'd and uploaded; its digest and size. */
  private async uploadLayer(layer: PushLayer): Promise<{ digest: string; size: number }> {
    const tar = await layer.open();
    const report = this.opts.report;
    async function* counted(): AsyncGenerator<Buffer> {
      let read = 0;
      for await (const c of tar.stream as AsyncIterable<Buffer>) {
        read += c.length;
        report({ id: short(layer.diffId), status: 'Pushing', done: read, total: tar.size });
        yield c;
      }
    }
    const hash = createHash('sha256');
    // A tar that fails to come back (reproduce.ts) fails the gzip's reader, so the upload, before its PUT.
    const gzip = (await nativeGzipAvailable()) ? nativeGzip(counted(), GZIP_LEVEL) : parallelGzip(counted(), GZIP_LEVEL);
    const chunks = fixedChunks(gzip, this.opts.chunkSize);
    let location = await this.startUpload();
    let offset = 0;
    try {
      const put = async (body: Buffer[] | undefined) => {
        const digest = `sha256:${hash.digest('hex')}`;
        const r = await this.client.expect('PUT', this.withDigest(location, digest), [201], { scope: this.scope, body, headers: { 'content-type': 'application/octet-stream' } }, `uploading layer ${short(layer.diffId)}`);
        r.body.resume();
        return { digest, size: offset + bodyLength(body) };
      };
      let current = await chunks.next();
      for (;;) {
        if (current.done) return await put(undefined);
        const data: Buffer[] = current.value;
        for (const piece of data) hash.update(piece);
        // Shorter than a chunk at the start: the whole blob, in one PUT (monolithic). A full first
        // chunk goes at once: waiting to see whether a second follows held the first PATCH back
        // until the next 32 MB were compressed too.
        if (offset === 0 && bodyLength(data) < this.opts.chunkSize) return await put(data);
        const upcoming = chunks.next(); // the next chunk is compressed while this one goes up
        upcoming.catch(() => undefined); // (awaited below; a failed PATCH must not leave it unhandled)
        location = await this.patch(location, data, offset, layer);
        offset += bodyLength(data);
        current = await upcoming;
      }
    } catch (err) {
      tar.stream.destroy();
      await this.client.request('DELETE', location, { scope: this.scope }).then((r) => r.body.resume(), () => undefined);
      throw err;
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
