// dist/helper.js: the privileged helper. Serves the engine over a unix socket (default) or over
// its own stdio (--stdio, one client), and knows nothing about VS Code.
//   helper.js [--root DIR] [--socket PATH | --stdio] [--idle-timeout SECONDS]
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Engine } from './engine';
import { serveConnection } from './rpc/connection';
import { listenOnSocket } from './rpc/socket';
import { DEFAULT_ROOT, StorePaths } from './store';
import { StrataError } from './errors';
import { connect, openHelperSocket } from './cli/connect';
import { armedFault } from './store/faults';

interface HelperArgs { root: string; socket?: string; stdio: boolean; connect: boolean; idleTimeout: number; logFile?: string }

function parseArgs(argv: string[]): HelperArgs {
  const args: HelperArgs = { root: process.env.STRATA_ROOT || DEFAULT_ROOT, stdio: false, connect: false, idleTimeout: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--root') args.root = resolve(value());
    else if (a === '--socket') args.socket = value();
    else if (a === '--stdio') args.stdio = true;
    else if (a === '--connect') args.connect = true;
    else if (a === '--idle-timeout') args.idleTimeout = Number(value());
    else if (a === '--log') args.logFile = value();
    else if (a === '--help' || a === '-h') {
      process.stdout.write([
        'usage: helper.js [--root DIR] [--socket PATH | --stdio | --connect] [--idle-timeout SECONDS] [--log FILE]',
        '  (default) serve the store on a unix socket (<root>/helper.sock unless --socket)',
        '  --stdio    serve one client on this process\'s stdin/stdout, owning the store',
        '  --connect  relay stdin/stdout to the helper serving the store, starting it if none runs',
        '             (how VS Code reaches the same helper the strata command uses, through sudo or pkexec)',
        '',
      ].join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** --connect: a byte relay between this process's stdio and the store's helper socket. */
async function relay(root: string): Promise<void> {
  // A helper from another build of Strata is replaced first when nothing runs in it, as for the
  // CLI (cli/connect.ts); what the check says goes to stderr, which the extension logs.
  (await connect(root, (line) => process.stderr.write(`${line}\n`))).dispose();
  const sock = await openHelperSocket(root);
  process.stdin.pipe(sock);
  sock.pipe(process.stdout);
  sock.on('close', () => process.exit(0));
  process.stdin.on('end', () => sock.end());
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the Strata helper needs root (namespaces, mounts, cgroups); start it with sudo');
  if (args.connect) return relay(args.root);
  const log = (line: string) => {
    const text = `${new Date().toISOString()} ${line}\n`;
    if (args.logFile) appendFileSync(args.logFile, text);
    else process.stderr.write(text);
  };
  const engine = await Engine.open(args.root);
  engine.events.on('log', log);
  // A daemon that owns running containers must not die of one background failure: log it loudly.
  process.on('unhandledRejection', (err) => log(`internal error (unhandled): ${err instanceof Error ? err.stack : String(err)}`));
  for (const line of engine.store.repairs) log(`start-up repair: ${line}`);
  if (armedFault()) log(`fault injection armed (tests only): the helper kills itself at ${armedFault()}`);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    await server?.close();
    await engine.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  let server: Awaited<ReturnType<typeof listenOnSocket>> | undefined;
  if (args.stdio) {
    serveConnection(engine, process.stdin, process.stdout, log, () => void stop('stdio closed'));
    log(`serving ${args.root} on stdio (pid ${process.pid})`);
    return;
  }
  const socket = args.socket ?? new StorePaths(args.root).socket;
  server = await listenOnSocket(engine, socket, log);
  log(`serving ${args.root} on ${socket} (pid ${process.pid})`);
  if (args.idleTimeout > 0) {
    // An auto-started helper goes away once nothing needs it: no client, no running container.
    let idleSince = Date.now();
    setInterval(() => {
      const busy = server!.connections() > 0 || engine.hasRunningContainers();
      if (busy) idleSince = Date.now();
      else if (Date.now() - idleSince > args.idleTimeout * 1000) void stop('idle');
    }, 1000).unref();
  }
}

main().catch((err) => {
  const message = err instanceof StrataError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`strata helper: ${message}\n`);
  process.exit(1);
});
