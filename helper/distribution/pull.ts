// strata pull: a manifest (OCI or Docker v2 schema 2; from an index or manifest list, linux/amd64),
// its config and its layers from a registry, every digest checked before anything is kept:
//  - the manifest's bytes against the digest asked for (or the one the registry says it has);
//  - the config's bytes against the manifest's config digest (their sha256 is the image id);
//  - each blob's bytes (plain tar, gzip or zstd) against its descriptor's digest, and its uncompressed tar against the
//    config's rootfs.diff_ids (the layer's identity in the store): extracted into a stage of
//    tmp/, and moved into the graph only when both match.
// This module fetches and checks; what is kept, and when, is the engine's (engine/registry.ts).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { ACCEPT, INDEX_TYPES, layerCompression, MANIFEST_TYPES } from './media-types';
import { headerOf, readAll, RegistryClient } from './registry-client';

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface PulledManifest {
  /** The image manifest's digest (what `pull REPO@DIGEST` names). */
  digest: string;
  config: Descriptor;
  layers: Descriptor[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_CONFIG = 16 * 1024 * 1024;

export function corrupt(message: string): StrataError {
  return new StrataError(ErrorCode.BadArchive, message);
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function checkDescriptor(d: Descriptor, what: string): Descriptor {
  if (!d || typeof d.digest !== 'string' || !DIGEST.test(d.digest)) throw corrupt(`${what}: not a sha256 descriptor`);
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw corrupt(`${what}: no size`);
  return d;
}

export class Puller {
  readonly scope: string;

  constructor(readonly client: RegistryClient) {
    this.scope = `repository:${client.ref.repo}:pull`;
  }

  private async manifestBytes(reference: string, byDigest: boolean): Promise<{ bytes: Buffer; type: string; digest: string }> {
    const { repo } = this.client.ref;
    const r = await this.client.expect('GET', `/v2/${repo}/manifests/${reference}`, [200], { scope: this.scope, headers: { accept: ACCEPT } }, `the manifest of ${repo}:${reference}`);
    const bytes = await readAll(r.body);
    const digest = sha256(bytes);
    const said = headerOf(r, 'docker-content-digest');
    if (byDigest && digest !== reference) throw corrupt(`the manifest ${reference} has the digest ${digest} (corrupted)`);
    if (!byDigest && said && said !== digest) throw corrupt(`the manifest of ${repo}:${reference} has the digest ${digest}, the registry says ${said} (corrupted)`);
    let parsed: { mediaType?: string };
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string };
    } catch {
      throw corrupt(`the manifest of ${repo}:${reference} is not JSON`);
    }
    const type = parsed.mediaType ?? (headerOf(r, 'content-type') ?? '').split(';')[0].trim();
    return { bytes, type, digest };
  }

  /** The image manifest the reference names: itself, or the linux/amd64 entry of an index. */
  async manifest(reference: string): Promise<PulledManifest> {
    let m = await this.manifestBytes(reference, DIGEST.test(reference));
    if (INDEX_TYPES.includes(m.type)) {
      const list = (JSON.parse(m.bytes.toString('utf8')) as { manifests?: Descriptor[] }).manifests ?? [];
      const pick = list.find((d) => d.platform?.os === 'linux' && d.platform?.architecture === 'amd64') ?? (list.length === 1 && !list[0].platform ? list[0] : undefined);
      if (!pick) throw new StrataError(ErrorCode.NotFound, `${this.client.ref.repo}:${reference} has no linux/amd64 image (it lists ${list.map((d) => `${d.platform?.os}/${d.platform?.architecture}`).join(', ') || 'none'})`);
      checkDescriptor(pick, 'the linux/amd64 entry of the index');
      m = await this.manifestBytes(pick.digest, true);
      if (INDEX_TYPES.includes(m.type)) throw corrupt('an index inside an index');
    }
    if (!MANIFEST_TYPES.includes(m.type)) throw new StrataError(ErrorCode.BadArchive, `unsupported manifest type ${m.type || '(none)'} (OCI and Docker v2 schema 2 are)`);
    const doc = JSON.parse(m.bytes.toString('utf8')) as { config?: Descriptor; layers?: Descriptor[] };
    if (!Array.isArray(doc.layers)) throw corrupt('the manifest lists no layers');
    const layers = doc.layers.map((l, i) => checkDescriptor(l, `layer ${i + 1} of the manifest`));
    for (const [i, l] of layers.entries()) layerCompression(l.mediaType, `layer ${i + 1}`);
    return { digest: m.digest, config: checkDescriptor(doc.config as Descriptor, "the manifest's config"), layers };
  }

  /** The config's bytes, checked against its digest. */
  async config(d: Descriptor): Promise<Buffer> {
    if (d.size > MAX_CONFIG) throw corrupt(`the config is ${d.size} bytes: more than ${MAX_CONFIG}`);
    const r = await this.client.expect('GET', `/v2/${this.client.ref.repo}/blobs/${d.digest}`, [200], { scope: this.scope, follow: true }, 'the config');
    const bytes = await readAll(r.body, MAX_CONFIG);
    if (sha256(bytes) !== d.digest) throw corrupt(`the config blob ${d.digest} has the digest ${sha256(bytes)} (corrupted)`);
    return bytes;
  }

  /**
   * The layer's tar as the blob holds it (plain, gzip or zstd: manifest() refused other media types),
   * with a check to call once the stream is read to its end: the blob's digest and size. The
   * extractor decompresses by the bytes' magic (archive/input.ts, fzstd for zstd), with load's
   * bomb limits, so pull and load read a layer the same way; the digest and the tar's diff_id, not
   * the label, keep it honest. `onBytes`: progress.
   */
  async layer(d: Descriptor, what: string, onBytes: (n: number) => void): Promise<{ tar: NodeJS.ReadableStream; check(): void }> {
    const r = await this.client.expect('GET', `/v2/${this.client.ref.repo}/blobs/${d.digest}`, [200], { scope: this.scope, follow: true }, what);
    const hash = createHash('sha256');
    let n = 0;
    const body = r.body;
    async function* hashing(): AsyncGenerator<Buffer> {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n > d.size) throw corrupt(`${what}: the blob ${d.digest} is longer than its ${d.size} bytes (corrupted)`);
        hash.update(chunk);
        onBytes(n);
        yield chunk;
      }
    }
    return {
      tar: Readable.from(hashing(), { objectMode: false }),
      check() {
        const digest = `sha256:${hash.digest('hex')}`;
        if (n !== d.size || digest !== d.digest) throw corrupt(`${what}: the blob ${d.digest} has the digest ${digest} (${n} bytes; corrupted)`);
      },
    };
  }
}
