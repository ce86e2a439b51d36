// Registry logins on the user's side (the helper keeps none): `strata login` writes them to
// $XDG_CONFIG_HOME/strata/auths.json (~/.config/strata/auths.json), mode 0600, in the shape of
// Docker's config.json ({"auths": {"HOST": {"auth": base64("user:password")}}}); push and pull read
// that, then Docker's own $DOCKER_CONFIG/config.json (~/.docker/config.json), and send the one
// that matches the registry's host with the request.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Credentials } from '../distribution/registry-auth';

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  [key: string]: unknown;
}

export function strataAuthsFile(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'strata', 'auths.json');
}

export function dockerConfigFile(): string {
  return join(process.env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/** A key of config.json's auths as a host[:port] ("https://index.docker.io/v1/" is docker.io). */
function hostOfKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

async function readAuthFile(file: string): Promise<AuthFile> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as AuthFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

function fromEntry(e: { auth?: string; username?: string; password?: string }): Credentials | undefined {
  if (e.auth) {
    const text = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (e.username && e.password) return { username: e.username, password: e.password };
  return undefined;
}

/** The login for `host`: Strata's own first, then Docker's. */
export async function credentialsFor(host: string): Promise<Credentials | undefined> {
  for (const file of [strataAuthsFile(), dockerConfigFile()]) {
    const auths = (await readAuthFile(file)).auths ?? {};
    for (const [key, entry] of Object.entries(auths)) {
      if (hostOfKey(key) !== host) continue;
      const c = fromEntry(entry);
      if (c) return c;
    }
  }
  return undefined;
}

export async function storeCredentials(host: string, c: Credentials): Promise<string> {
  const file = strataAuthsFile();
  const data = await readAuthFile(file);
  data.auths = { ...data.auths, [host]: { auth: Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64') } };
  await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
  return file;
}

/** Removes Strata's login for `host`; true if there was one. */
export async function removeCredentials(host: string): Promise<boolean> {
  const file = strataAuthsFile();
  const data = await readAuthFile(file);
  const keys = Object.keys(data.auths ?? {}).filter((k) => hostOfKey(k) === host);
  if (keys.length === 0) return false;
  for (const k of keys) delete data.auths![k];
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
  return true;
}

/** Whether Docker's config has a login for `host` (logout says it is left alone). */
export async function dockerHasLogin(host: string): Promise<boolean> {
  const auths = (await readAuthFile(dockerConfigFile())).auths ?? {};
  return Object.keys(auths).some((k) => hostOfKey(k) === host);
}
