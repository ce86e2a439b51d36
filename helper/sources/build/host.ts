// What a build needs of the engine (engine/build.ts gives it): images and layers of the store, a
// RUN run in a container as `strata run` runs one, layers made from folders, and each state kept
// as an image. The build's own logic (sources/build/) needs nothing else of the engine.
import type { ImageConfig } from '../../protocol/types';
import type { BuildCache } from './cache';
import type { BuildOutput } from './output';

export interface RunSpec {
  /** The stored image of the state the command runs on. */
  imageId: string;
  cmd: string[];
  /** The state's ENV, then the ARGs in scope that it does not set, as KEY=VALUE. */
  env: string[];
  workdir: string;
  user: string;
  /** The history's created_by, for the layer's record. */
  createdBy: string;
  created: string;
}

export interface BuildHost {
  /** An image of the store by name or id (FROM, COPY --from). */
  image(ref: string): { id: string; config: ImageConfig };
  /** The layer folders of a config's layers, top-most first. */
  layerDirs(config: ImageConfig): string[];
  /** A fresh folder under the store's tmp/, removed with the build. */
  stage(): Promise<string>;
  /**
   * Makes `dir` (a folder of ours, upper-dir form) a layer on top of `parent`'s layers: its
   * diff_id, or null when the folder holds nothing (an empty layer, as Docker marks one).
   */
  adoptLayer(dir: string, parent: ImageConfig, meta: { created: string; createdBy: string }): Promise<string | null>;
  /** Runs a RUN in a container; its changes as a layer (diff_id), null when it changed nothing. */
  run(spec: RunSpec): Promise<string | null>;
  /**
   * Keeps `config` as an image (a state a RUN runs on, or a stage's result): its id. The image
   * written before it (`replaces`), if this build made it, is dropped: its layers are a prefix of
   * the new one's.
   */
  keep(config: ImageConfig, replaces?: string | null): Promise<string>;
  /** Keeps an image at the end (a stage's result) even when a later state replaces it. */
  retain(id: string): void;
  /** The build context, extracted from the client's tar (a folder of ours). */
  contextDir: string;
  cache: BuildCache;
  out: BuildOutput;
  signal: AbortSignal;
}
