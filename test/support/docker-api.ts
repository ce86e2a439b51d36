// Docker's Engine API (and Podman's Docker-compatible one, the same paths) over its unix socket,
// from one persistent HTTP client with keep-alive: the engine's cost behind its API, as a program
// that holds a connection pays it (the way the extension holds one to Strata's helper).
import * as http from 'node:http';
import { createReadStream } from 'node:fs';

export interface ApiAnswer { status: number; body: string }

export class EngineApi {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  constructor(readonly name: string, readonly socketPath: string, readonly version = 'v1.41') {}

  request(method: string, path: string, body?: unknown, file?: string): Promise<ApiAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      const json = body === undefined ? undefined : JSON.stringify(body);
      if (json !== undefined) headers['content-type'] = 'application/json';
      if (file) headers['content-type'] = 'application/x-tar';
      const req = http.request({ socketPath: this.socketPath, agent: this.agent, method, path: `/${this.version}${path}`, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
          if (answer.status >= 300) reject(new Error(`${this.name} API ${method} ${path}: ${answer.status} ${answer.body.trim().slice(0, 300)}`));
          else resolve(answer);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (file) createReadStream(file).on('error', reject).pipe(req);
      else req.end(json);
    });
  }

  async json<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const { body: text } = await this.request(method, path, body);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** create + start + wait, as `docker run` without --rm; returns the container's id. */
  async createStartWait(image: string, cmd: string[]): Promise<string> {
    const { Id } = await this.json<{ Id: string }>('POST', '/containers/create', { Image: image, Cmd: cmd, HostConfig: { NetworkMode: 'none' } });
    await this.request('POST', `/containers/${Id}/start`);
    const { StatusCode } = await this.json<{ StatusCode: number }>('POST', `/containers/${Id}/wait`);
    if (StatusCode !== 0) throw new Error(`${this.name}: ${cmd.join(' ')} exited ${StatusCode}`);
    return Id;
  }

  async remove(id: string): Promise<void> {
    await this.request('DELETE', `/containers/${id}?force=true`);
  }

  async commit(container: string, repo: string): Promise<string> {
    return (await this.json<{ Id: string }>('POST', `/commit?container=${container}&repo=${encodeURIComponent(repo)}`, {})).Id;
  }

  async removeImage(ref: string): Promise<void> {
    await this.request('DELETE', `/images/${encodeURIComponent(ref)}?force=true`);
  }

  /** POST /images/create?fromSrc=- with the tar as the body (`docker import`). The answer is a
   *  progress stream; an error arrives inside it with status 200. */
  async importTar(file: string, repo: string): Promise<void> {
    const { body } = await this.request('POST', `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}`, undefined, file);
    if (/"error"/.test(body)) throw new Error(`${this.name} import: ${body.slice(0, 300)}`);
  }

  close(): void {
    this.agent.destroy();
  }
}
