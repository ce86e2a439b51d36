// What `strata inspect` shows of one object, asked of the helper and put in Docker's shape
// (docker-shapes.ts): the CLI prints it, and the extension's Inspect document shows the same.
import type { StrataClient } from '../protocol/client';
import { containerInspect, imageInspect, layerInspect } from './docker-shapes';

export const INSPECT_TYPES = ['container', 'image', 'layer'] as const;
export type InspectType = (typeof INSPECT_TYPES)[number];

export interface InspectDocumentOptions {
  /**
   * Make each layer's tar again to check it (Strata.Layers[].TarVerified, TarProblem), so a folder
   * changed behind Strata's back shows before save or push refuses it. It reads every layer's files:
   * the CLI asks for it, a document read again on each store change does not.
   */
  verify?: boolean;
}

/** The Docker-shaped document of a container, an image or a layer; the helper's NotFound when none. */
export async function inspectDocument(client: Pick<StrataClient, 'request'>, type: InspectType, ref: string, options: InspectDocumentOptions = {}): Promise<Record<string, unknown>> {
  const verify = options.verify ?? false;
  switch (type) {
    case 'container': {
      const c = await client.request('container.inspect', { id: ref });
      // The image gives the config the container runs with (Docker's Config) and its layer folders.
      const image = await client.request('image.inspect', { ref: c.imageId }).catch(() => undefined);
      return containerInspect(c, image);
    }
    case 'image': return imageInspect(await client.request('image.inspect', { ref, verify }));
    case 'layer': return layerInspect(await client.request('layer.inspect', { id: ref, verify }));
  }
}
