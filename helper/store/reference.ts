// Image names as Docker parses them: [host[:port]/]path[:tag], lowercase path components,
// default tag "latest". Anything else is refused with Docker's wording. Every name a verb creates
// (tag, import, commit, and any later source of names) passes here before anything is written.
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?';
const NAME = new RegExp(`^${HOST}${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// distribution/reference's anchoredIdentifierRegexp: the whole input is an image id's hex.
const IMAGE_ID_HEX = /^[a-f0-9]{64}$/;
// The names whose familiar form (docker.io and library/ dropped) is the digest algorithm: as
// "sha256:<hex>" they would read as an image id.
const DIGEST_ALGORITHM_NAME = /^(?:(?:index\.)?docker\.io\/)?(?:library\/)?sha256$/;

export interface Reference {
  name: string;
  tag: string;
}

export function parseReference(input: string): Reference {
  // Issue 14: a name of 64 hex digits would shadow the image with that id (ParseNormalizedNamed
  // refuses it first, before any other rule, with these words).
  if (IMAGE_ID_HEX.test(input)) throw new StrataError(ErrorCode.InvalidParams, `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  const slash = input.lastIndexOf('/');
  const colon = input.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? input.slice(0, colon) : input;
  const tag = hasTag ? input.slice(colon + 1) : 'latest';
  if (name.length === 0 || name.length > 255) throw new StrataError(ErrorCode.InvalidParams, `invalid reference format: "${input}"`);
  if (!NAME.test(name)) {
    const lower = name.toLowerCase();
    const why = lower !== name && NAME.test(lower) ? 'repository name must be lowercase' : 'use letters, digits and . _ - separated by /';
    throw new StrataError(ErrorCode.InvalidParams, `invalid reference format: "${input}": ${why}`);
  }
  if (!TAG.test(tag)) throw new StrataError(ErrorCode.InvalidParams, `invalid reference format: "${input}": a tag is up to 128 letters, digits, _ . -`);
  // Issue 14: "sha256:<id>" would read as the digest of another image. The daemon refuses such a
  // name (moby's reference store, addReference) whatever its tag, with these words.
  if (DIGEST_ALGORITHM_NAME.test(name)) throw new StrataError(ErrorCode.InvalidParams, 'refusing to create an ambiguous tag using digest algorithm as name');
  return { name: familiarName(name), tag };
}

/** Docker's familiar form of a name (reference.FamiliarName): docker.io/ (or index.docker.io/)
 *  and then a one-component name's library/ are dropped, so docker.io/library/x:1 is x:1. */
function familiarName(name: string): string {
  const path = name.replace(/^(?:index\.)?docker\.io\//, '');
  return /^library\/[^/]+$/.test(path) ? path.slice('library/'.length) : path;
}

export function formatReference(ref: Reference): string {
  return `${ref.name}:${ref.tag}`;
}
