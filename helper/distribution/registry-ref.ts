// Where an image lives in a registry: HOST[:PORT]/REPO[:TAG|@sha256:HEX], as Docker reads a name
// (distribution/reference): the first component is a host when it has a '.' or ':' or is
// "localhost"; otherwise the name is Docker Hub's (docker.io, and library/ for one component).
// The host is only ever a name or an address with a port: no scheme, no path, no user info, so a
// client cannot make the helper speak anything but HTTP(S) to the registry it names (the threat:
// a socket user steering the root helper at file:// or at a URL of its choosing).
import { isIP } from 'node:net';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export interface RegistryRef {
  /** host[:port] as the user wrote it (docker.io for Docker Hub). */
  host: string;
  /** Where the API is: registry-1.docker.io for docker.io, else host. */
  apiHost: string;
  /** The repository's path in the registry (library/busybox). */
  repo: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPO = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const HOST_NAME = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]+)(?::([0-9]{1,5}))?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function bad(input: string, why: string): StrataError {
  return new StrataError(ErrorCode.InvalidParams, `invalid registry reference "${input}": ${why}`);
}

/** host[:port], checked: a DNS name or an IP address (IPv6 in brackets), and a port 1-65535. */
export function checkHost(host: string, input = host): string {
  const m = HOST_PORT.exec(host);
  if (!m) throw bad(input, 'the host is a name or address with an optional :PORT');
  const name = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  if (m[1].startsWith('[') ? isIP(name) !== 6 : !(HOST_NAME.test(name) || isIP(name) === 4)) throw bad(input, `"${m[1]}" is not a host name or IP address`);
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) throw bad(input, `port ${m[2]} is out of range`);
  return host;
}

export function parseRegistryRef(input: string, opts: { allowDigest: boolean }): RegistryRef {
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!opts.allowDigest) throw bad(input, 'push takes a tag, not a digest');
    if (!DIGEST.test(digest)) throw bad(input, 'a digest is sha256: and 64 hex digits');
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  let host = hasHost ? first : 'docker.io';
  let path = hasHost ? rest.slice(slash + 1) : rest;
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw bad(input, 'a tag is up to 128 letters, digits, _ . -');
  }
  if (!REPO.test(path)) throw bad(input, 'the repository is lowercase letters, digits and . _ - separated by /');
  if (host === 'index.docker.io') host = 'docker.io';
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  checkHost(host, input);
  if (!tag && !digest) tag = 'latest';
  return { host, apiHost: host === 'docker.io' ? 'registry-1.docker.io' : host, repo: path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The host part without its port (and IPv6 brackets). */
export function hostName(host: string): string {
  const m = HOST_PORT.exec(host);
  const name = m ? m[1] : host;
  return name.startsWith('[') ? name.slice(1, -1) : name;
}

/**
 * Loopback by its name: 127.0.0.0/8, ::1, localhost. Decided on what the user wrote, not on what
 * a name resolves to: plain http is then never chosen for a name DNS could point elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host).toLowerCase();
  if (name === 'localhost' || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

/** The name a pulled image is tagged with in the store: host/repo:tag (docker.io's as Docker shows it). */
export function localName(ref: RegistryRef): string {
  const repo = ref.host === 'docker.io' ? ref.repo.replace(/^library\//, '') : `${ref.host}/${ref.repo}`;
  return `${repo}:${ref.tag ?? 'latest'}`;
}

export function formatRegistryRef(ref: RegistryRef): string {
  return `${ref.host}/${ref.repo}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
