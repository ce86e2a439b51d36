// node out/test/bench/push-trace.js STORE: one push of the store's minbase image's layer, traced:
// when openLayerTar resolves, the first tar byte, the first gzip byte, each PATCH and the PUT, and
// the manifest; then the tar alone (made and thrown away) and its first byte, for the floor. Built
// by hand (npx esbuild), not part of npm run bench: a tool for finding what is serial in a push.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, pipeline } from 'node:stream';
import { openLayerTar, type LayerTarSource } from '../../helper/archive/reproduce';
import { openLayerTarGzip } from '../../helper/archive/reproduce-gzip';
import { nativeGzip } from '../../helper/distribution/native-gzip';
import { Pusher } from '../../helper/distribution/push';
import { RegistryClient } from '../../helper/distribution/registry-client';
import { parseRegistryRef } from '../../helper/distribution/registry-ref';
import { Registry } from '../support/registry';

const store = process.argv[2];
const t0 = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - t0) / 1e6;
const marks: [string, number][] = [];
const mark = (what: string) => marks.push([what, now()]);

function minbaseLayer(): LayerTarSource {
  for (const id of readdirSync(join(store, 'graph'))) {
    const dir = join(store, 'graph', id);
    const json = JSON.parse(readFileSync(join(dir, 'json'), 'utf8')) as { diff_id: string; size?: number };
    if (existsSync(join(dir, 'tar-split')) && (json.size ?? 0) > 100e6) return { id, diffId: json.diff_id, dir: join(dir, 'layer'), tarSplit: join(dir, 'tar-split') };
  }
  throw new Error('no minbase layer with a tar-split in ' + store);
}

async function main(): Promise<void> {
  const src = minbaseLayer();
  // The tar alone.
  let s = now();
  const tar = await openLayerTar(src);
  const opened = now() - s;
  let first = -1;
  for await (const c of tar.stream) { void c; if (first < 0) first = now() - s; }
  console.log(`tar alone: open ${opened.toFixed(0)} ms, first byte ${first.toFixed(0)} ms, all ${(now() - s).toFixed(0)} ms`);
  // The tar gzip'd.
  s = now();
  const tar2 = await openLayerTar(src);
  let gfirst = -1;
  let gbytes = 0;
  for await (const c of nativeGzip(tar2.stream, 1)) { gbytes += c.length; if (gfirst < 0) gfirst = now() - s; }
  console.log(`tar | gzip: first gzip byte ${gfirst.toFixed(0)} ms, all ${(now() - s).toFixed(0)} ms, ${gbytes} bytes`);
  // Made and gzip'd in one native process (what a push of an imported layer uses).
  s = now();
  const native = await openLayerTarGzip(src, 1, () => undefined);
  gfirst = -1;
  gbytes = 0;
  if (native) for await (const c of native.stream) { gbytes += c.length; if (gfirst < 0) gfirst = now() - s; }
  console.log(native ? `tar-gzip: first gzip byte ${gfirst.toFixed(0)} ms, all ${(now() - s).toFixed(0)} ms, ${gbytes} bytes` : 'tar-gzip: not available here');
  if (process.argv.includes('--no-push')) return;
  const registry = await Registry.start(join(store, '..', 'trace-registry-' + process.pid));
  try {
    const ref = parseRegistryRef(`${registry.host}/trace:1`, { allowDigest: false });
    const client = new RegistryClient(ref, {});
    const request = client.request.bind(client);
    let patches = 0;
    client.request = (async (method: string, path: string, opts: never) => {
      const r = await request(method, path, opts);
      if (method === 'PATCH') mark(`PATCH ${++patches} answered`);
      else if (method === 'PUT') mark(`PUT ${path.includes('manifests') ? 'manifest' : 'blob'} answered`);
      return r;
    }) as typeof client.request;
    marks.length = 0;
    const p0 = now();
    mark('push start');
    const pusher = new Pusher(client, { format: 'docker', report: () => undefined, remember: async () => undefined });
    await pusher.push(Buffer.from('{}'), 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', [{
      id: src.id, diffId: src.diffId, known: [],
      openGzipped: process.argv.includes('--no-native') ? undefined : async (level, progress) => {
        mark('open called');
        const z = await openLayerTarGzip(src, level, progress);
        mark('open resolved');
        return z;
      },
      open: async () => {
        mark('open called');
        const t = await openLayerTar(src);
        mark('open resolved');
        let seen = false;
        const marked = new Transform({
          transform(c, _e, done) { if (!seen) { seen = true; mark('first tar byte'); } done(null, c); },
          flush(done) { mark('tar end'); done(); },
        });
        pipeline(t.stream, marked, () => undefined);
        return { size: t.size, stream: marked };
      },
    }], '1');
    mark('push done');
    for (const [w, t] of marks) console.log(`${(t - p0).toFixed(0).padStart(6)} ms  ${w}`);
    client.close();
  } finally {
    await registry.stop();
  }
}
main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
