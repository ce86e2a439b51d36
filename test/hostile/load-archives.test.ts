// Image archives whose own structure is hostile, through `strata load` (issue 14): manifest.json
// pointing outside, `../` and absolute paths, missing blobs, digests that do not match, a huge
// manifest and 65 MiB of small files, symlinked and hard-linked entries and link loops, duplicate
// entries, names that are ids, OCI descriptors that climb out, unsupported layer types, nested
// indexes. Each refused before anything reaches the store, or a safe load (test/support/load-add.ts).
import { after, before, test } from 'node:test';
import { buildTar, type TarSpec } from '../support/archive-tar';
import { dockerArchiveEntries, imageConfig, ociArchiveEntries, type ArchiveImage } from '../support/image-archive';
import { HostileStore, sha256hex } from '../support/load-add';

let h: HostileStore;
before(async () => { h = await HostileStore.create('load-archives'); });
after(async () => { await h.close(); });

/** Hostile archives: their entries, made from a good image's, then changed. */
async function hostileArchives(): Promise<[string, Buffer, RegExp | null][]> {
  const layer = await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/hostile', data: 'layer\n' }]);
  const good: ArchiveImage = { layers: [layer], tags: ['hostile:latest'] };
  const docker = dockerArchiveEntries([good]);
  const oci = ociArchiveEntries([good]);
  const layerPath = `${sha256hex(layer)}/layer.tar`;
  const configPath = docker.find((e) => e.name.endsWith('.json') && e.name !== 'manifest.json')!.name;
  const manifest = (m: object[]) => ({ name: 'manifest.json', data: JSON.stringify(m) });
  const withManifest = (m: object[], more: TarSpec[] = []) => [...docker.filter((e) => e.name !== 'manifest.json'), ...more, manifest(m)];
  const entry = (name: string) => ({ Config: configPath, RepoTags: ['hostile:latest'], Layers: [name] });
  const ociWith = (change: (e: TarSpec) => TarSpec | null) => oci.map(change).filter((e): e is TarSpec => e !== null);
  const index = JSON.parse(String(oci.find((e) => e.name === 'index.json')!.data));
  const manifestBlob = `blobs/sha256/${index.manifests[0].digest.slice(7)}`;
  const ociManifest = JSON.parse(String(oci.find((e) => e.name === manifestBlob)!.data));
  const descriptor = (data: string, mediaType: string) => ({ mediaType, digest: `sha256:${sha256hex(data)}`, size: Buffer.byteLength(data) });
  /** The layout with its manifest replaced by `m` (index.json naming it). */
  const withOciManifest = (m: object): TarSpec[] => {
    const data = JSON.stringify(m);
    return [...oci.filter((e) => e.name !== 'index.json'), { name: `blobs/sha256/${sha256hex(data)}`, data }, { name: 'index.json', data: JSON.stringify({ ...index, manifests: [{ ...index.manifests[0], ...descriptor(data, index.manifests[0].mediaType) }] }) }];
  };
  /** The layout's manifest behind `depth` indexes, each naming the next. */
  const nested = (depth: number): TarSpec[] => {
    const blobs: TarSpec[] = [];
    let top = index.manifests[0];
    for (let i = 0; i < depth; i++) {
      const data = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [top] });
      blobs.push({ name: `blobs/sha256/${sha256hex(data)}`, data });
      top = descriptor(data, 'application/vnd.oci.image.index.v1+json');
    }
    return [...oci.filter((e) => e.name !== 'index.json'), ...blobs, { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [top] }) }];
  };
  const cases: [string, TarSpec[], RegExp | null][] = [
    ['manifest.json names a config outside the archive', withManifest([{ ...entry(layerPath), Config: '../../../etc/passwd' }]), /the archive has no config "etc\/passwd"/],
    ['manifest.json names a layer outside the archive', withManifest([entry('../../../../etc/shadow')]), /the archive has no layer "etc\/shadow"/],
    ['manifest.json names a layer by an absolute path', withManifest([entry(`/${layerPath}`)]), null],
    ['manifest.json names a layer through ../', withManifest([entry(`x/../${layerPath}`)]), null],
    ['an entry named ../ in the archive (the key is the archive\'s own)', [...docker.map((e) => (e.name === layerPath ? { ...e, name: `../../${layerPath}` } : e))], null],
    ['a missing layer blob', docker.filter((e) => e.name !== layerPath), /the archive has no layer/],
    ['a missing config', docker.filter((e) => e.name !== configPath), /the archive has no config/],
    ['no manifest at all', docker.filter((e) => e.name !== 'manifest.json'), /not an image archive/],
    ['a config whose diff_id is another layer\'s', [...docker.filter((e) => e.name !== configPath), { name: configPath, data: imageConfig([Buffer.from('other')]) }], /layer 1's tar has the digest sha256:[0-9a-f]{64}, its config says sha256:/],
    ['a config that is not JSON', [...docker.filter((e) => e.name !== configPath), { name: configPath, data: '{not json' }], /config is not JSON/],
    ['a manifest that is not a list', withManifest({ Config: configPath } as unknown as object[]), /manifest.json is not a list of images/],
    ['a manifest entry with no Layers', withManifest([{ Config: configPath }]), /no Config and Layers/],
    ['a huge manifest.json (2 MiB)', [...docker.filter((e) => e.name !== 'manifest.json'), { name: 'manifest.json', data: `[${' '.repeat(2 * 1024 * 1024)}]` }], /manifest\.json|not a tar archive/],
    ['65 MiB of small files', [...docker, ...Array.from({ length: 65 }, (_, i): TarSpec => ({ name: `pad${i}`, data: Buffer.alloc(1024 * 1024) }))], /more than 67108864 bytes of small files/],
    ['manifest.json, a symlink to /etc/passwd', [...docker.filter((e) => e.name !== 'manifest.json'), { name: 'manifest.json', type: 'symlink', linkname: '/etc/passwd' }], /the archive has no file "etc\/passwd"/],
    ['manifest.json, a symlink through ../', [...docker.filter((e) => e.name !== 'manifest.json'), { name: 'manifest.json', type: 'symlink', linkname: '../../../etc/shadow' }], /the archive has no file "etc\/shadow"/],
    ['a layer, a hard link to /etc/shadow', [...docker.filter((e) => e.name !== layerPath), { name: layerPath, type: 'link', linkname: '/etc/shadow' }], /the archive has no layer "etc\/shadow"/],
    ['a link loop', withManifest([entry('a')], [{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }]), /too many links/],
    ['manifest.json twice (the last counts)', [...docker, manifest([entry('../nowhere')])], /the archive has no layer "nowhere"/],
    ['a layer twice, the second another tar', [...docker, { name: layerPath, data: Buffer.concat([layer, Buffer.alloc(512)]) }], /layer 1's tar has the digest/],
    ['RepoTags: a full image id', withManifest([{ ...entry(layerPath), RepoTags: [`sha256:${'a'.repeat(64)}`] }]), /invalid reference format|refusing|ambiguous|64-byte hexadecimal/i],
    ['RepoTags: 64 hex digits', withManifest([{ ...entry(layerPath), RepoTags: ['a'.repeat(64)] }]), /64-byte hexadecimal/],
    ['RepoTags: a name with ../', withManifest([{ ...entry(layerPath), RepoTags: ['../../x:latest'] }]), /invalid reference format/],
    ['OCI: index.json names a blob outside', ociWith((e) => (e.name === 'index.json' ? { ...e, data: JSON.stringify({ ...index, manifests: [{ ...index.manifests[0], digest: 'sha256:../../../../etc/passwd' }] }) } : e)), /not a sha256 descriptor/],
    ['OCI: a missing manifest blob', ociWith((e) => (e.name === manifestBlob ? null : e)), /the archive has no image 1 of index\.json/],
    ['OCI: a layer blob whose bytes are not its digest', ociWith((e) => (e.name === `blobs/sha256/${sha256hex(layer)}` ? { ...e, data: Buffer.concat([layer, Buffer.alloc(512)]) } : e)), /has the digest sha256:[0-9a-f]{64} \(corrupted\)/],
    // zstd is read since issue 11 (archive/decompress.ts); a type Strata does not read is refused by name.
    ['OCI: a bzip2 layer type', withOciManifest({ ...ociManifest, layers: [{ ...ociManifest.layers[0], mediaType: 'application/vnd.oci.image.layer.v1.tar+bzip2' }] }), /unsupported layer type application\/vnd\.oci\.image\.layer\.v1\.tar\+bzip2/],
    ['OCI: a layer descriptor that climbs out', withOciManifest({ ...ociManifest, layers: [{ ...ociManifest.layers[0], digest: 'sha256:../../../etc/passwd' }] }), /layer 1: not a sha256 descriptor/],
    ['OCI: a manifest whose config is a layer', withOciManifest({ ...ociManifest, config: ociManifest.layers[0] }), /config|JSON|diff_ids/],
    ['OCI: indexes nested five deep', nested(5), /an index with no linux\/amd64 image/],
  ];
  return Promise.all(cases.map(async ([label, entries, refused]) => [label, await buildTar(entries), refused] as [string, Buffer, RegExp | null]));
}

test('archives whose structure is hostile: each refused before anything reaches the store, or a safe load', async (t) => {
  const cases = await hostileArchives();
  for (const [label, archive, refused] of cases) await h.load(label, archive, refused);
  t.diagnostic(`${cases.length} hostile archive structures; load: ${h.counts.load} inputs in all, ${h.counts.loadRefused} refused`);
});
