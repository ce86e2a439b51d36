// `strata push`, `strata pull`, `strata login`, `strata logout`: images to and from a registry.
// The helper does the transfer; this side finds the login for the registry's host (registry-auths.ts)
// and sends it with the one request, shows the progress per layer as Docker prints it, and cancels
// on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { createInterface } from 'node:readline';
import { ErrorCode } from '../../protocol/errors';
import { StrataRequestError } from '../../protocol/client';
import type { Notifications } from '../../protocol/methods';
import { checkHost, parseRegistryRef } from '../../distribution/registry-ref';
import type { Credentials } from '../../distribution/registry-auth';
import { helpFlag, UsageError } from '../args';
import { bool, type Command, type CommandContext, str } from '../command';
import { credentialsFor, dockerConfigFile, dockerHasLogin, removeCredentials, storeCredentials } from '../registry-auths';

const insecureFlag = { long: 'insecure', kind: 'bool' as const, help: 'Allow plain http (and unverified https) for this registry; loopback hosts (127.0.0.0/8, ::1, localhost) get http without it' };

// The statuses that end a layer's part: printed once each (what Docker leaves on screen).
const FINAL = new Set(['Pushed', 'Layer already exists', 'Mounted', 'Pull complete', 'Already exists']);

/** Progress lines: one per layer when it is done (and the header lines); on a terminal also a live line. */
function progressPrinter(ctx: CommandContext, quiet: boolean): (p: Notifications['progress']) => void {
  const live = process.stdout.isTTY === true && !quiet;
  let shown = false;
  const clear = () => { if (shown) ctx.out('\r\x1b[K'); shown = false; };
  return (p) => {
    if (quiet) return;
    if (!p.id || FINAL.has(p.stage ?? '')) {
      clear();
      ctx.out(`${p.message}\n`);
      return;
    }
    if (!live) return;
    const bytes = p.total ? ` ${((p.done ?? 0) / 1e6).toFixed(1)}MB/${(p.total / 1e6).toFixed(1)}MB` : '';
    ctx.out(`\r\x1b[K${p.message}${bytes}`);
    shown = true;
  };
}

/** Runs one long request with progress and Ctrl-C as cancel; 130 when cancelled. */
async function transfer<T>(ctx: CommandContext, quiet: boolean, send: (progressToken: string, cancel: CancellationTokenSource) => Promise<T>): Promise<T | number> {
  const client = await ctx.client();
  const progressToken = randomBytes(16).toString('hex');
  const show = progressPrinter(ctx, quiet);
  const sub = client.on('progress', (p) => { if (p.token === progressToken) show(p); });
  const cancel = new CancellationTokenSource();
  const onInt = () => {
    if (cancel.token.isCancellationRequested) process.exit(130);
    ctx.err('cancelling (Ctrl-C again to leave now)\n');
    cancel.cancel();
  };
  process.on('SIGINT', onInt);
  try {
    return await send(progressToken, cancel);
  } catch (err) {
    if (err instanceof StrataRequestError && err.code === ErrorCode.Cancelled) {
      ctx.err(`strata: ${err.message}\n`);
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onInt);
    sub.dispose();
    cancel.dispose();
  }
}

export const push: Command = {
  spec: {
    name: 'push', usage: '[OPTIONS] NAME[:TAG]',
    summary: 'Upload an image to a registry',
    flags: [
      insecureFlag,
      { long: 'format', kind: 'string', value: 'string', help: 'Manifest: docker (v2 schema 2, as docker push; the default) or oci' },
      { long: 'chunk-size', kind: 'string', value: 'bytes', help: 'Upload in PATCH chunks of this many bytes (default: one PATCH, streamed as it is compressed)' },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' },
      helpFlag,
    ],
    minArgs: 1, maxArgs: 1,
    notes: [
      'NAME is HOST[:PORT]/REPO: tag the image with it first (strata tag IMAGE HOST[:PORT]/REPO:TAG).',
      'The login comes from strata login, or from ~/.docker/config.json.',
    ],
  },
  async run(ctx) {
    const ref = parseRegistryRef(ctx.args[0], { allowDigest: false });
    const format = str(ctx, 'format') ?? 'docker';
    if (format !== 'docker' && format !== 'oci') throw new UsageError(`invalid --format ${JSON.stringify(format)}: docker or oci`);
    const chunk = str(ctx, 'chunk-size');
    const chunkSize = chunk === undefined ? undefined : Number(chunk);
    if (chunkSize !== undefined && !Number.isSafeInteger(chunkSize)) throw new UsageError(`invalid --chunk-size ${JSON.stringify(chunk)}: a number of bytes`);
    const auth = await credentialsFor(ref.host);
    const quiet = bool(ctx, 'quiet');
    const r = await transfer(ctx, quiet, (progressToken, cancel) => ctx.client().then((c) => c.request('image.push', {
      ref: ctx.args[0], insecure: bool(ctx, 'insecure'), auth, progressToken, format, chunkSize,
    }, cancel.token)));
    if (typeof r === 'number') return r;
    ctx.out(quiet ? `${ref.host}/${ref.repo}:${r.tag}@${r.digest}\n` : `${r.tag}: digest: ${r.digest} size: ${r.size}\n`);
    return 0;
  },
};

export const pull: Command = {
  spec: {
    name: 'pull', usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
    summary: 'Download an image from a registry',
    flags: [insecureFlag, { long: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' }, helpFlag],
    minArgs: 1, maxArgs: 1,
    notes: ['NAME is HOST[:PORT]/REPO; an index (manifest list) gives its linux/amd64 image. Every digest is checked; nothing is kept on a mismatch.'],
  },
  async run(ctx) {
    const ref = parseRegistryRef(ctx.args[0], { allowDigest: true });
    const auth = await credentialsFor(ref.host);
    const quiet = bool(ctx, 'quiet');
    const r = await transfer(ctx, quiet, (progressToken, cancel) => ctx.client().then((c) => c.request('image.pull', {
      ref: ctx.args[0], insecure: bool(ctx, 'insecure'), auth, progressToken,
    }, cancel.token)));
    if (typeof r === 'number') return r;
    const name = r.tag ?? `${ref.host}/${ref.repo}@${r.digest}`;
    if (!quiet) ctx.out(`Status: ${r.pulled ? 'Downloaded newer image' : 'Image is up to date'} for ${name}\n`);
    ctx.out(`${name}\n`);
    return 0;
  },
};

async function readLine(prompt: string, hidden: boolean): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => { if (s.includes(prompt)) process.stderr.write(prompt); };
  try {
    return await new Promise<string>((resolve) => rl.question(prompt, resolve));
  } finally {
    rl.close();
    if (hidden) process.stderr.write('\n');
  }
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}

export const login: Command = {
  spec: {
    name: 'login', usage: '[OPTIONS] SERVER',
    summary: 'Log in to a registry',
    flags: [
      { long: 'username', short: 'u', kind: 'string', value: 'string', help: 'Username' },
      { long: 'password', short: 'p', kind: 'string', value: 'string', help: 'Password (visible to other users in ps: prefer --password-stdin)' },
      { long: 'password-stdin', kind: 'bool', help: 'Take the password from stdin' },
      insecureFlag,
      helpFlag,
    ],
    minArgs: 1, maxArgs: 1,
    notes: ['The login is checked against the registry, then kept in ~/.config/strata/auths.json (mode 0600); the helper keeps none.'],
  },
  async run(ctx) {
    const host = checkHost(ctx.args[0].replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
    let username = str(ctx, 'username');
    let password = str(ctx, 'password');
    if (bool(ctx, 'password-stdin')) {
      if (password !== undefined) throw new UsageError('--password and --password-stdin are mutually exclusive');
      if (username === undefined) throw new UsageError('Must provide --username with --password-stdin');
      password = await readStdin();
    }
    if (password !== undefined && !bool(ctx, 'password-stdin')) ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (username === undefined) {
      if (!process.stdin.isTTY) throw new UsageError('no username: give -u USER (and --password-stdin), or run on a terminal');
      username = await readLine('Username: ', false);
    }
    if (password === undefined) {
      if (!process.stdin.isTTY) throw new UsageError('no password: give --password-stdin, or run on a terminal');
      password = await readLine('Password: ', true);
    }
    if (!username || !password) throw new UsageError('Error: Cannot perform an interactive login with an empty username or password');
    const auth: Credentials = { username, password };
    const client = await ctx.client();
    await client.request('registry.login', { host, insecure: bool(ctx, 'insecure'), auth });
    const file = await storeCredentials(host, auth);
    ctx.err(`WARNING! Your password will be stored unencrypted in ${file}.\n`);
    ctx.out('Login Succeeded\n');
    return 0;
  },
};

export const logout: Command = {
  spec: {
    name: 'logout', usage: 'SERVER',
    summary: 'Log out from a registry',
    flags: [helpFlag],
    minArgs: 1, maxArgs: 1,
  },
  async run(ctx) {
    const host = checkHost(ctx.args[0].replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
    const removed = await removeCredentials(host);
    if (removed) ctx.out(`Removing login credentials for ${host}\n`);
    else ctx.out(`Not logged in to ${host}\n`);
    if (await dockerHasLogin(host)) ctx.err(`(${dockerConfigFile()} also has a login for ${host}: push and pull use it; docker logout ${host} removes it)\n`);
    return 0;
  },
};
