// `system df`: where the store's bytes are, and what layers save by being shared. An image's size
// is the sum of its layers; a layer two images share is on disk once, so the images' total is the
// sum of distinct layers, and each image's size splits into what it shares and what is its own
// (Docker's SHARED SIZE and UNIQUE SIZE). A container's size is what its upper dir holds: the
// bytes of the files it wrote (its changes only; the image's are counted with the images). A
// stopped container whose changes a commit moved into a layer (engine/upper.ts) holds nothing of
// its own: those bytes are that layer's, on disk once, and counted with the images.
import { filesSize } from '../archive';
import type { DiskUsage } from '../protocol/types';
import type { EngineContext } from './context';
import { imageLayers } from './images';
import { readUpper } from './upper';

export async function diskUsage(ctx: EngineContext): Promise<DiskUsage> {
  const { images, containers } = ctx.store;
  const layersOf = new Map(images.ids().map((id) => [id, imageLayers(ctx, images.get(id)!)]));
  const distinct = new Map<string, { size: number; images: number }>(); // each layer once, and how many images have it
  for (const layers of layersOf.values()) for (const l of layers) distinct.set(l.id, { size: l.size, images: (distinct.get(l.id)?.images ?? 0) + 1 });
  const containerCount = new Map<string, number>();
  for (const c of containers.list()) containerCount.set(c.imageId, (containerCount.get(c.imageId) ?? 0) + 1);

  const imageRows = [...layersOf].map(([id, layers]) => {
    const size = layers.reduce((n, l) => n + l.size, 0);
    const shared = layers.filter((l) => distinct.get(l.id)!.images > 1).reduce((n, l) => n + l.size, 0);
    return { id, repoTags: images.tagsOf(id), created: images.get(id)!.created, size, sharedSize: shared, uniqueSize: size - shared, containers: containerCount.get(id) ?? 0 };
  });
  // Reclaimable: the layers of no image that a container uses (what `image prune -a` frees), but
  // for one that holds a container's moved changes: removing it gives them back, it frees nothing.
  const kept = new Set<string>(containers.list().flatMap((c) => (c.upperLayer ? [c.upperLayer] : [])));
  for (const [id, layers] of layersOf) if (containerCount.has(id)) for (const l of layers) kept.add(l.id);

  const containerRows = [];
  for (const c of containers.list()) {
    // (No upper dir yet, for a container never started: nothing written.)
    const size = c.upperLayer ? 0 : await readUpper(ctx, c.id, filesSize).catch(() => 0);
    containerRows.push({ id: c.id, name: c.name, image: c.image, command: c.command, created: c.created, status: c.status, size, changesInLayer: c.upperLayer ?? null });
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    images: imageRows,
    containers: containerRows,
    totals: {
      images: { count: imageRows.length, active: imageRows.filter((i) => i.containers > 0).length, size: sum([...distinct.values()].map((l) => l.size)), reclaimable: sum([...distinct].filter(([id]) => !kept.has(id)).map(([, l]) => l.size)) },
      containers: { count: containerRows.length, active: containerRows.filter((c) => c.status === 'running').length, size: sum(containerRows.map((c) => c.size)), reclaimable: sum(containerRows.filter((c) => c.status !== 'running').map((c) => c.size)) },
    },
  };
}
