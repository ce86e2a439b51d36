// A registry login for push and pull from VS Code: asked once (two input boxes), checked by the
// helper against the registry (registry.login), kept in VS Code's secret storage (context.secrets,
// never a file of the extension's), and sent with each push or pull request. The helper keeps none.
import * as vscode from 'vscode';
import type { Credentials } from '../../helper/distribution/registry-auth';
import type { Services } from './services';
import { ask } from './targets';

const key = (host: string) => `strata.registry.login:${host}`;

export async function storedLogin(s: Services, host: string): Promise<Credentials | undefined> {
  const raw = await s.context.secrets.get(key(host));
  if (!raw) return undefined;
  try {
    const c = JSON.parse(raw) as Credentials;
    return typeof c.username === 'string' && typeof c.password === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an error says the registry wants a login (or refused the one given). */
export function needsLogin(err: unknown): boolean {
  return /strata login|unauthorized|token server refused|asks for a login/i.test(err instanceof Error ? err.message : String(err));
}

/** Asks for a login, checks it with the registry, keeps it. */
export async function askLogin(s: Services, host: string, insecure: boolean): Promise<Credentials> {
  const username = await ask({ title: `Log in to ${host} (1/2)`, prompt: 'Username' });
  const password = await ask({ title: `Log in to ${host} (2/2)`, prompt: `Password for ${username}`, password: true });
  const auth = { username, password };
  const client = await s.helper.client();
  await client.request('registry.login', { host, insecure, auth });
  await s.context.secrets.store(key(host), JSON.stringify(auth));
  s.log.info(`registry login for ${host} (${username}) kept in VS Code's secret storage`);
  return auth;
}

/** Runs `fn` with the kept login (if any); when the registry wants one, asks once and runs it again. */
export async function withLogin<T>(s: Services, host: string, insecure: boolean, fn: (auth: Credentials | undefined) => Promise<T>): Promise<T> {
  const kept = await storedLogin(s, host);
  try {
    return await fn(kept);
  } catch (err) {
    if (!needsLogin(err)) throw err;
    const choice = await vscode.window.showWarningMessage(`${host} asks for a login${kept ? ' (the kept one was refused)' : ''}.`, 'Log In');
    if (choice !== 'Log In') throw err;
    return fn(await askLogin(s, host, insecure));
  }
}
