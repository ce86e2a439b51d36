// A real registry for the push/pull tests: Debian's docker-registry (CNCF distribution 2.8) on
// 127.0.0.1 at a free port, its storage in a temp folder (the package's own config wants htpasswd
// auth on :5000: this writes its own), optionally behind htpasswd Basic auth; and a proxy in front
// of it that counts the requests (blob uploads), can hold one until released (an interrupted
// pull), and can demand a Bearer token from a small token server of its own (the token flow).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function requireRegistryTools(): void {
  for (const tool of ['/usr/bin/docker-registry', '/usr/bin/skopeo']) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: install Debian's docker-registry and skopeo (npm test installs them: scripts/ensure.mjs)`);
  }
}

export class Registry {
  private constructor(readonly dir: string, readonly port: number, private readonly proc: ChildProcess, readonly log: string[]) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The registry's storage path of a blob's bytes. */
  blobFile(digest: string): string {
    const hex = digest.replace(/^sha256:/, '');
    return join(this.dir, 'data', 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  }

  static async start(dir: string, opts: { htpasswd?: { user: string; password: string } } = {}): Promise<Registry> {
    requireRegistryTools();
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    let auth = '';
    if (opts.htpasswd) {
      if (!existsSync('/usr/bin/htpasswd')) throw new Error('/usr/bin/htpasswd is missing: install Debian\'s apache2-utils');
      execFileSync('htpasswd', ['-Bbc', join(dir, 'htpasswd'), opts.htpasswd.user, opts.htpasswd.password], { stdio: 'ignore' });
      auth = `auth:\n  htpasswd:\n    realm: strata-test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    const config = join(dir, 'config.yml');
    writeFileSync(config, [
      'version: 0.1', 'log:', '  level: info', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
      'http:', `  addr: 127.0.0.1:${port}`, auth,
    ].join('\n'));
    const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    proc.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
    proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
    const reg = new Registry(dir, port, proc, log);
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false);
      if (ok) return reg;
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill();
    throw new Error(`docker-registry did not start on 127.0.0.1:${port}:\n${log.join('')}`);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await gone;
  }
}

export interface Seen { method: string; path: string; status?: number }

/**
 * A proxy on its own loopback port in front of `target`: records every request; `hold(req)` true
 * keeps that request waiting until release(); `bearer` demands "Bearer <token>" where the token
 * comes from GET /token with the given Basic login (as a registry's token server would give it).
 */
export class Proxy {
  readonly seen: Seen[] = [];
  hold: ((s: Seen) => boolean) | null = null;
  private held: (() => void)[] = [];
  private heldSignal: (() => void) | null = null;
  private constructor(private readonly server: http.Server, readonly port: number) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(target: string, opts: { bearer?: { user: string; password: string } } = {}): Promise<Proxy> {
    const port = await freePort();
    const TOKEN = 'token-' + Math.random().toString(36).slice(2);
    // eslint-disable-next-line prefer-const
    let proxy: Proxy;
    const server = http.createServer((req, res) => {
      const seen: Seen = { method: req.method ?? '', path: req.url ?? '' };
      proxy.seen.push(seen);
      if (opts.bearer) {
        if (req.url?.startsWith('/token')) {
          const want = `Basic ${Buffer.from(`${opts.bearer.user}:${opts.bearer.password}`).toString('base64')}`;
          if (req.headers.authorization !== want) { res.writeHead(401, { 'content-type': 'application/json' }); res.end('{"errors":[{"code":"UNAUTHORIZED","message":"bad login"}]}'); return; }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ token: TOKEN }));
          return;
        }
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          req.resume();
          res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="strata-test"`, 'content-type': 'application/json' });
          res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
          return;
        }
      }
      const forward = () => {
        const headers = { ...req.headers };
        if (opts.bearer) delete headers.authorization;
        const up = http.request({ host: '127.0.0.1', port: Number(target.split(':')[1]), method: req.method, path: req.url, headers }, (r) => {
          seen.status = r.statusCode;
          const h = { ...r.headers };
          // Locations the registry gives point at itself: point them at the proxy.
          if (typeof h.location === 'string') h.location = h.location.replace(`//${target}`, `//127.0.0.1:${port}`);
          res.writeHead(r.statusCode ?? 502, h);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        req.pipe(up);
      };
      if (proxy.hold?.(seen)) {
        proxy.held.push(forward);
        proxy.heldSignal?.();
      } else forward();
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    proxy = new Proxy(server, port);
    return proxy;
  }

  /** Resolves once a request is being held. */
  waitHeld(): Promise<void> {
    if (this.held.length) return Promise.resolve();
    return new Promise((r) => { this.heldSignal = () => { this.heldSignal = null; r(); }; });
  }

  release(): void {
    this.hold = null;
    for (const f of this.held.splice(0)) f();
  }

  count(method: string, pattern: RegExp): number {
    return this.seen.filter((s) => s.method === method && pattern.test(s.path)).length;
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
