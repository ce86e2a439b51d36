// Identities, the same as Docker's and OCI's so a user can check them against those tools.
import { createHash, randomBytes } from 'node:crypto';
import { patterns } from '../protocol/methods';
import type { ImageConfig } from '../protocol/types';

export const SHA256_ID = /^sha256:[a-f0-9]{64}$/;
export const CONTAINER_ID = patterns.containerId;

export function sha256(data: string | Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** The bytes the store writes for a config it makes (Images.add): JSON.stringify's. */
export function configBytes(config: ImageConfig): Buffer {
  return Buffer.from(JSON.stringify(config));
}

/** The id of an image the store makes from `config`, known before it is written: the sha256 of its bytes. */
export function configId(config: ImageConfig): string {
  return sha256(configBytes(config));
}

/** ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(n)). */
export function chainId(parentChainId: string | null, diffId: string): string {
  return parentChainId === null ? diffId : sha256(`${parentChainId} ${diffId}`);
}

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainId(out.length ? out[out.length - 1] : null, d));
  return out;
}

export function randomId(): string {
  return randomBytes(32).toString('hex');
}

/** The 64 hex digits of an id, without its algorithm prefix. */
export function hexOf(id: string): string {
  return id.startsWith('sha256:') ? id.slice(7) : id;
}

export function shortId(id: string): string {
  return hexOf(id).slice(0, 12);
}
