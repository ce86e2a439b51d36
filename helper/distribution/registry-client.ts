// HTTP(S) to one registry, as the distribution spec's client: the scheme chosen once (https; plain
// http only with --insecure or for a loopback host), the WWW-Authenticate challenge answered
// (registry-auth.ts), keep-alive connections, and every answer read with a cap on its size.
//
// Where the helper connects, and the threat each rule stops (the helper runs as root; a socket user
// must not use it to reach what the user could not):
//  - only the host the reference names, on the port it names: no scheme, path or user info come
//    from the client (registry-ref.ts);
//  - a token realm or a blob redirect is a URL the registry names: http(s) only; never plain http
//    from an https registry; never a loopback host unless the registry itself is loopback (a
//    hostile registry must not steer the helper at local services); credentials go to the realm
//    (as the spec says) but never along a redirect to another host;
//  - nothing read is written anywhere but the store, after its digest is checked.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { basicHeader, parseChallenges, type Credentials } from './registry-auth';
import { hostName, isLoopbackHost, type RegistryRef } from './registry-ref';

const MAX_JSON = 8 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 60_000;

export interface RegistryOptions {
  insecure?: boolean;
  auth?: Credentials;
  signal?: AbortSignal;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/** A request's bytes: one buffer, or pieces sent in turn (a push's chunk, never copied into one). */
export type Body = Buffer | Buffer[] | undefined;

/**
 * Bytes sent as they are made, with chunked transfer encoding (a push's streamed upload: its gzip).
 * A failing source ends the request unfinished (no last chunk), and the request fails with the
 * source's own error; such a request is never sent twice.
 */
export interface StreamedBody {
  stream: AsyncIterable<Buffer>;
}

const isStreamed = (body: Body | StreamedBody): body is StreamedBody => body !== undefined && !Buffer.isBuffer(body) && !Array.isArray(body);

export function bodyLength(body: Body): number {
  return body === undefined ? 0 : Array.isArray(body) ? body.reduce((n, b) => n + b.length, 0) : body.length;
}

/** Resolves when `req` can take more, or has gone (its error or close then speaks for itself). */
function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { req.off('drain', done); req.off('close', done); req.off('error', done); resolve(); };
    req.on('drain', done);
    req.on('close', done);
    req.on('error', done);
  });
}

/** Writes `source` into `req` as it comes, then ends it; stops when the request is gone (an answer came early, or it failed). */
async function feed(req: http.ClientRequest, source: AsyncIterable<Buffer>): Promise<void> {
  for await (const piece of source) {
    if (req.destroyed) return;
    if (!req.write(piece)) await drained(req);
  }
  if (!req.destroyed) req.end();
}

export class RegistryError extends StrataError {}

function registryError(code: number, message: string): RegistryError {
  return new RegistryError(code as never, message);
}

/** The registry's own words for an error ({"errors":[{"code","message"}]}), if it gave them. */
async function errorText(reply: Reply): Promise<string> {
  const text = (await readAll(reply.body, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(parsed.errors) && parsed.errors.length) return parsed.errors.map((e) => `${e.code ?? ''}: ${e.message ?? ''}`).join('; ');
  } catch { /* not JSON */ }
  return text.trim().slice(0, 200) || `HTTP ${reply.status}`;
}

export async function readAll(body: NodeJS.ReadableStream, max = MAX_JSON): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > max) {
      (body as Readable).destroy?.();
      throw registryError(ErrorCode.LimitExceeded, `the registry's answer is larger than ${max} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function scopeKey(scope: string): string {
  return scope;
}

export class RegistryClient {
  private base = '';
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: 8 }), https: new https.Agent({ keepAlive: true, maxSockets: 8 }) };
  private bearer = new Map<string, string>();
  private challenge: { scheme: 'basic' | 'bearer' | 'none'; realm?: string; service?: string } | null = null;
  private readonly loopback: boolean;

  constructor(readonly ref: RegistryRef, private readonly opts: RegistryOptions) {
    this.loopback = isLoopbackHost(ref.apiHost);
  }

  /** The scheme that reaches the registry, and its challenge (GET /v2/, the spec's version check). */
  async ping(): Promise<void> {
    const host = this.ref.apiHost;
    const plainAllowed = this.opts.insecure || this.loopback;
    let tlsError: Error | null = null;
    for (const scheme of plainAllowed ? ['https', 'http'] : ['https']) {
      this.base = `${scheme}://${host}`;
      try {
        const reply = await this.raw('GET', `${this.base}/v2/`, {}, undefined);
        reply.body.resume();
        this.learnChallenge(reply);
        if (reply.status !== 200 && reply.status !== 401) throw registryError(ErrorCode.BadRequest, `${host} does not speak the registry API (GET /v2/ answered HTTP ${reply.status})`);
        return;
      } catch (err) {
        if (err instanceof StrataError) throw err;
        if ((err as Error).name === 'AbortError') throw cancelledError();
        tlsError = err as Error;
      }
    }
    const why = tlsError?.message ?? 'no answer';
    if (!plainAllowed) {
      throw registryError(ErrorCode.BadRequest, `${host}: https failed (${why}); if this registry speaks plain http, pass --insecure (plain http is used without asking only for loopback hosts: 127.0.0.0/8, ::1, localhost)`);
    }
    throw registryError(ErrorCode.BadRequest, `${host}: cannot reach the registry over https or http: ${why}`);
  }

  get scheme(): string {
    return this.base.split(':')[0];
  }

  private learnChallenge(reply: Reply): void {
    if (reply.status !== 401) {
      this.challenge ??= { scheme: 'none' };
      return;
    }
    const cs = parseChallenges(headerOf(reply, 'www-authenticate'));
    const bearer = cs.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) this.challenge = { scheme: 'bearer', realm: bearer.params.realm, service: bearer.params.service };
    else if (cs.some((c) => c.scheme === 'basic')) this.challenge = { scheme: 'basic' };
    else this.challenge = { scheme: 'none' };
  }

  /** A URL the registry named (realm, redirect), checked against the rules at the top of this file. */
  private checkedUrl(raw: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(raw, this.base);
    } catch {
      throw registryError(ErrorCode.BadRequest, `the registry named a ${what} that is not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw registryError(ErrorCode.BadRequest, `the registry named a ${what} that is not http(s): ${url.protocol}`);
    if (url.protocol === 'http:' && this.scheme === 'https') throw registryError(ErrorCode.BadRequest, `the registry (https) named a plain-http ${what}: ${url.host}; refused`);
    if (!this.loopback && isLoopbackHost(url.host)) throw registryError(ErrorCode.BadRequest, `the registry named a ${what} on a loopback host (${url.host}); refused`);
    if (url.username || url.password) throw registryError(ErrorCode.BadRequest, `the registry named a ${what} with user info; refused`);
    return url;
  }

  /** The Authorization header for `scope` (repository:NAME:pull,push), fetching a token if need be. */
  private async authorization(scope: string, refresh: boolean): Promise<string | undefined> {
    const c = this.challenge;
    if (!c || c.scheme === 'none') return undefined;
    if (c.scheme === 'basic') {
      if (!this.opts.auth) throw registryError(ErrorCode.BadRequest, `${this.ref.host}: the registry asks for a login (Basic): run strata login ${this.ref.host}`);
      return basicHeader(this.opts.auth);
    }
    const key = scopeKey(scope);
    if (!refresh && this.bearer.has(key)) return `Bearer ${this.bearer.get(key)}`;
    const realm = this.checkedUrl(c.realm!, 'token realm');
    if (c.service) realm.searchParams.set('service', c.service);
    for (const s of scope.split(' ').filter(Boolean)) realm.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (this.opts.auth) headers.authorization = basicHeader(this.opts.auth);
    const reply = await this.raw('GET', realm.toString(), headers, undefined);
    if (reply.status !== 200) {
      const text = await errorText(reply);
      throw registryError(ErrorCode.BadRequest, `${this.ref.host}: the token server refused ${this.opts.auth ? `the login of ${this.opts.auth.username}` : 'an anonymous token'} (HTTP ${reply.status}: ${text})${this.opts.auth ? '' : `; run strata login ${this.ref.host}`}`);
    }
    const parsed = JSON.parse((await readAll(reply.body, 1024 * 1024)).toString('utf8')) as { token?: string; access_token?: string };
    const token = parsed.token ?? parsed.access_token;
    if (typeof token !== 'string' || !token) throw registryError(ErrorCode.BadRequest, `${this.ref.host}: the token server gave no token`);
    this.bearer.set(key, token);
    return `Bearer ${token}`;
  }

  /**
   * A request to the registry's API at `path` (/v2/...) or an absolute URL it gave (an upload's
   * Location). Answered 401, the challenge is taken again and the request sent once more (whole
   * buffers can be sent again; a streamed body cannot: its 401 is an error, and its scope's token
   * is the one the upload's POST just used).
   */
  async request(method: string, pathOrUrl: string, opts: { scope: string; headers?: Record<string, string>; body?: Body | StreamedBody; follow?: boolean }): Promise<Reply> {
    if (!this.base) await this.ping();
    const url = pathOrUrl.startsWith('/') ? `${this.base}${pathOrUrl}` : this.checkedUrl(pathOrUrl, 'upload location').toString();
    for (let attempt = 0; ; attempt++) {
      // Credentials only to the registry itself (an upload Location on another host gets none).
      const auth = new URL(url).host === new URL(this.base).host ? await this.authorization(opts.scope, attempt > 0) : undefined;
      const headers = { ...opts.headers, ...(auth ? { authorization: auth } : {}) };
      let reply = await this.raw(method, url, headers, opts.body);
      if (reply.status === 401 && attempt === 0 && !isStreamed(opts.body)) {
        reply.body.resume();
        this.learnChallenge(reply);
        if (this.challenge?.scheme === 'basic' && !this.opts.auth) throw registryError(ErrorCode.BadRequest, `${this.ref.host}: the registry asks for a login: run strata login ${this.ref.host}`);
        continue;
      }
      if (reply.status === 401) {
        throw registryError(ErrorCode.BadRequest, `${this.ref.host}: unauthorized (${await errorText(reply)})${this.opts.auth ? `: the login of ${this.opts.auth.username} was refused` : `; run strata login ${this.ref.host}`}`);
      }
      for (let hops = 0; opts.follow && [301, 302, 303, 307, 308].includes(reply.status); hops++) {
        reply.body.resume();
        if (hops >= MAX_REDIRECTS) throw registryError(ErrorCode.BadRequest, `${this.ref.host}: more than ${MAX_REDIRECTS} redirects`);
        const to = this.checkedUrl(headerOf(reply, 'location') ?? '', 'redirect');
        const sameHost = to.host === new URL(url).host;
        reply = await this.raw(method, to.toString(), sameHost ? headers : { ...opts.headers }, undefined);
      }
      return reply;
    }
  }

  /** A request whose answer must be `ok`; anything else is an error in the registry's words. */
  async expect(method: string, path: string, ok: number[], opts: { scope: string; headers?: Record<string, string>; body?: Body | StreamedBody; follow?: boolean }, what: string): Promise<Reply> {
    const reply = await this.request(method, path, opts);
    if (ok.includes(reply.status)) return reply;
    const text = await errorText(reply);
    const code = reply.status === 404 ? ErrorCode.NotFound : ErrorCode.BadRequest;
    throw registryError(code, `${what}: ${this.ref.host} answered HTTP ${reply.status}: ${text}`);
  }

  private raw(method: string, url: string, headers: Record<string, string>, body: Body | StreamedBody): Promise<Reply> {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const tls = u.protocol === 'https:' && this.opts.insecure ? { rejectUnauthorized: false } : {};
    // A streamed body has no length: Node sends it chunked (Transfer-Encoding), as docker push does.
    const length = isStreamed(body) ? {} : body ? { 'content-length': String(bodyLength(body)) } : method === 'PUT' || method === 'POST' || method === 'PATCH' ? { 'content-length': '0' } : {};
    return new Promise<Reply>((resolve, reject) => {
      const req = mod.request(u, {
        method, agent: u.protocol === 'https:' ? this.agents.https : this.agents.http, signal: this.opts.signal, timeout: TIMEOUT_MS, ...tls,
        headers: { 'user-agent': 'strata', ...headers, ...length },
      }, (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }));
      req.on('timeout', () => req.destroy(new Error(`no answer from ${u.host} in ${TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(err.name === 'AbortError' ? cancelledError() : err));
      if (isStreamed(body)) {
        // The source's error first: the request then fails with it, not with the socket's reset.
        feed(req, body.stream).catch((err: unknown) => {
          reject(err);
          req.destroy(err as Error);
        });
      } else if (Array.isArray(body)) {
        req.cork();
        for (const piece of body) req.write(piece);
        req.uncork();
        req.end();
      } else req.end(body);
    });
  }

  /** The host as the user named it, for messages. */
  get host(): string {
    return hostName(this.ref.host);
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

export function headerOf(reply: Reply, name: string): string | undefined {
  const v = reply.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export function cancelledError(): StrataError {
  return new StrataError(ErrorCode.Cancelled, 'cancelled');
}
