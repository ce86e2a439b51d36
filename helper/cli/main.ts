// dist/cli-main.js (run by dist/cli.js, entry.ts): the `strata` command. Docker's verbs and flags over the engine, through the helper
// that serves the store (started in the background when none runs).
import { UsageError, helpText, parseArgs, usageErrorText } from './args';
import { CommandError } from './command';
import { loadAllCommands, loadCommand } from './command-table';
import type { StrataClient } from '../protocol/client';
import { resolve } from 'node:path';
import { DEFAULT_ROOT } from '../protocol/endpoint';

/** `strata --help`: the one output that needs every command (their summaries), so it loads them all. */
async function usage(): Promise<string> {
  const commands = await loadAllCommands();
  const { MANAGEMENT_GROUPS } = await import('./commands/manage');
  const width = Math.max(...[...commands.map((c) => c.spec.name), ...Object.keys(MANAGEMENT_GROUPS)].map((n) => n.length)) + 3;
  return [
    'Usage:  strata [--root DIR] COMMAND',
    '',
    'See what containers really are: images whose layers are plain folders, containers on a union',
    'mount of them, commits that store only the difference.',
    '',
    'Options:',
    `  --root DIR   Store root (default ${DEFAULT_ROOT}, or $STRATA_ROOT)`,
    '  --version    Print version information',
    '',
    'Management Commands:',
    ...Object.entries(MANAGEMENT_GROUPS).map(([group, summary]) => `  ${group.padEnd(width)}${summary}`),
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    "Run 'strata COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  // bin/strata puts "--" before the arguments: Node 20 reads a --env-file anywhere on its command
  // line as its own option (nodejs/node#54232) unless a "--" comes first, and would load the file
  // into this process or exit 9 when it is missing, before `run --env-file` could see it.
  if (argv[0] === '--') argv = argv.slice(1);
  let root = process.env.STRATA_ROOT || DEFAULT_ROOT;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const a = argv[i];
    if (a === '--root') { root = argv[++i] ?? ''; if (!root) { process.stderr.write('strata: --root needs a directory\n'); return 125; } }
    else if (a.startsWith('--root=')) root = a.slice(7);
    else if (a === '--help' || a === '-h') { process.stdout.write(await usage()); return 0; }
    else if (a === '--version' || a === '-v') { process.stdout.write('strata version 0.1.0\n'); return 0; }
    else { process.stderr.write(`strata: unknown flag: ${a}\nSee 'strata --help'.\n`); return 125; }
  }
  // A relative --root means the folder under the current one, as any path on a command line does
  // (the helper that serves it runs elsewhere, and overlayfs takes absolute paths only).
  root = resolve(root);
  let name = argv[i];
  if (!name) { process.stdout.write(await usage()); return 0; }
  let command = await loadCommand(name);
  if (!command) {
    const { MANAGEMENT_GROUPS, managementCommand } = await import('./commands/manage');
    if (name in MANAGEMENT_GROUPS) {
      // strata container ls, strata image prune, ...
      const verb = argv[i + 1];
      const summary = MANAGEMENT_GROUPS[name as keyof typeof MANAGEMENT_GROUPS];
      command = await managementCommand(name, verb, loadCommand);
      if (!command && verb === undefined) {
        process.stdout.write(`Usage:  strata ${name} COMMAND\n\n${summary}\n`);
        return 0;
      }
      if (!command) {
        process.stderr.write(`strata: '${name}${verb === undefined ? '' : ` ${verb}`}' is not a strata command.\n${summary}\nSee 'strata --help'.\n`);
        return 1;
      }
      name = command.spec.name;
      i++;
    }
  }
  if (!command) { process.stderr.write(`strata: '${name}' is not a strata command.\nSee 'strata --help'.\n`); return 1; }
  let client: StrataClient | undefined;
  try {
    const parsed = parseArgs(command.spec, argv.slice(i + 1));
    if (parsed.flags.help) { process.stdout.write(helpText(command.spec)); return 0; }
    return await command.run({
      ...parsed, root,
      client: async () => (client ??= await (await import('./connect')).connect(root)),
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorText(command.spec, err));
      return err.exitCode;
    }
    if (err instanceof CommandError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    // The classes of the helper's errors: modules that a command which reached the helper has loaded.
    const { ConnectionLostError, StrataRequestError } = await import('../protocol/client');
    const { ConnectError } = await import('./connect');
    if (err instanceof StrataRequestError) {
      process.stderr.write(`Error response from daemon: ${err.message}\n`);
      if (typeof err.data?.exitCode === 'number') return err.data.exitCode;
    }
    else if (err instanceof ConnectError || err instanceof ConnectionLostError) process.stderr.write(`strata: ${err.message}\n`);
    else process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return command.errorExitCode ?? 1;
  } finally {
    client?.dispose();
  }
}

// Nothing pending may end the process silently with status 0 (a lost helper, a stuck stream).
process.on('beforeExit', () => {
  process.stderr.write('strata: the command ended without an answer from the helper\n');
  process.exit(1);
});

main(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain before leaving (a piped `strata images | head` must get every line).
    process.stdout.write('', () => process.exit(code));
  },
  (err) => { process.stderr.write(`strata: ${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); },
);
