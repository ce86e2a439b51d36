// Image names as Docker parses them: [host[:port]/]path[:tag], lowercase path components,
// default tag "latest". Anything else is refused with Docker's wording.
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?';
const NAME = new RegExp(`^${HOST}${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface Reference {
  name: string;
  tag: string;
}

export function parseReference(input: string): Reference {
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
  return { name, tag };
}

export function formatReference(ref: Reference): string {
  return `${ref.name}:${ref.tag}`;
}
