// The compressed forms of a layer that a registry holds, remembered beside the layer's record
// (graph/<id>/blobs.json): the blob's digest, size and media type, and the repositories (host/repo)
// known to have it. Push uses them to send nothing a registry has (HEAD, or a cross-repo mount
// from a repository of the same host) and to write the same manifest every time; pull records the
// blob it fetched. A blob's uncompressed bytes are the layer's tar (its digest checked on pull, made
// from the tar on push), so any of these is a valid descriptor for the layer.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic';
import type { StorePaths } from '../store/paths';

export interface KnownBlob {
  digest: string;
  size: number;
  mediaType: string;
  /** host/repo where the blob is known to be. */
  repos: string[];
}

const FILE = 'blobs.json';
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function fileOf(paths: StorePaths, layerId: string): string {
  return join(paths.layer(layerId), FILE);
}

export async function knownBlobs(paths: StorePaths, layerId: string): Promise<KnownBlob[]> {
  try {
    const parsed = JSON.parse(await fs.readFile(fileOf(paths, layerId), 'utf8')) as { blobs?: KnownBlob[] };
    return (parsed.blobs ?? []).filter((b) => DIGEST.test(b.digest) && Number.isSafeInteger(b.size) && typeof b.mediaType === 'string' && Array.isArray(b.repos));
  } catch {
    return [];
  }
}

/** Adds (or merges) what is now known of a blob of the layer; a failed write only loses a shortcut. */
export async function rememberBlob(paths: StorePaths, layerId: string, blob: Omit<KnownBlob, 'repos'>, repo: string): Promise<void> {
  const blobs = await knownBlobs(paths, layerId);
  const known = blobs.find((b) => b.digest === blob.digest);
  if (known) {
    if (known.repos.includes(repo)) return;
    known.repos.push(repo);
  } else blobs.push({ ...blob, repos: [repo] });
  await writeFileAtomic(fileOf(paths, layerId), JSON.stringify({ blobs }, null, 2) + '\n', 0o600).catch(() => undefined);
}
