// 2. Command against command: `strata` (bin/strata, a new Node process per command, as users run
// it) against the `docker` and `podman` CLIs for the same verbs, and each CLI's floor: a command
// that asks its engine one question with an empty store (`images -q`).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { run, strataCli, writer, type BenchContext } from './context';
import type { Row, Side, System } from './measure';

type Argv = [string, string[], NodeJS.ProcessEnv];


/** Each system's CLI: Strata's on the bench's store, the peers' on their instances. */
function clis(ctx: BenchContext, root = ctx.storeRoot): [System, (...args: string[]) => Argv][] {
  return [['strata', (...a) => strataCli(ctx, root, ...a)], ...ctx.peers.map((p): [System, (...args: string[]) => Argv] => [p.name, p.cli])];
}

/** The command as the table shows it (without the flags that point it at the bench's instance). */
const shown = (sys: System, ...args: string[]) => `${sys} ${args.join(' ')}`;

function cliRow(ctx: BenchContext, id: string, title: string, make: (cli: (...args: string[]) => Argv, sys: System) => Side<any>, extra: Partial<Row> = {}): Row {
  return { id, title, sides: Object.fromEntries(clis(ctx).map(([sys, cli]) => [sys, make(cli, sys)])), ...extra };
}

export function cliRows(ctx: BenchContext): Row[] {
  const n = ctx.files;
  const half = Math.max(1, Math.ceil(ctx.runs / 2));
  const target = { kind: 'ratio' as const, against: ['docker' as System], max: 0.5 };
  const stopped = new Map<System, string>();
  const writtenBy = (cli: (...args: string[]) => Argv, sys: System) => () => {
    if (!stopped.has(sys)) stopped.set(sys, run(cli('run', '-d', '--network', 'none', 'bb', 'sh', '-c', writer(n))).trim());
    run(cli('wait', stopped.get(sys)!));
    return Promise.resolve(stopped.get(sys)!);
  };
  let nameCount = 0;
  const emptyStore = join(mkdtempSync(join(ctx.work, 'strata-empty-')), 'root');
  return [
    cliRow(ctx, 'cli.run', 'CLI: run --rm --network none bb /bin/true', (cli, sys) => {
      const args = ['run', '--rm', '--network', 'none', 'bb', '/bin/true'];
      return { what: shown(sys, ...args), run: async () => run(cli(...args)) };
    }, { target }),
    cliRow(ctx, 'cli.commit', `CLI: commit of a stopped container that wrote ${n} files`, (cli, sys) => ({
      what: shown(sys, 'commit', 'NAME', 'IMAGE'),
      before: async () => { const name = `w${++nameCount}`; run(cli('run', '--name', name, '--network', 'none', 'bb', 'sh', '-c', writer(n))); return name; },
      run: async (name: string) => run(cli('commit', name, `c-${name}`)),
      after: async (name: string) => { run(cli('rm', '-f', name)); run(cli('rmi', `c-${name}`)); },
    }), { target, runs: half }),
    cliRow(ctx, 'cli.diff', `CLI: diff of a container that wrote ${n} files`, (cli, sys) => ({
      what: shown(sys, 'diff', 'ID'),
      before: writtenBy(cli, sys),
      run: async (id: string) => run(cli('diff', id)),
    }), { target }),
    cliRow(ctx, 'cli.history', 'CLI: history bb', (cli, sys) => {
      return { what: shown(sys, 'history', 'bb'), run: async () => run(cli('history', 'bb')) };
    }, { target }),
    cliRow(ctx, 'cli.images', 'CLI: images', (cli, sys) => {
      return { what: shown(sys, 'images'), run: async () => run(cli('images')) };
    }, { target }),
    {
      id: 'cli.floor',
      title: 'CLI floor: images -q (Strata: an empty store)',
      target: { kind: 'ratio', against: ['docker'], max: 1 },
      note: "floor: what any command written for Node pays before its first line runs (Node's own start)",
      sides: {
        ...Object.fromEntries(clis(ctx, emptyStore).map(([sys, cli]) => {
          return [sys, { what: shown(sys, 'images', '-q'), run: async () => run(cli('images', '-q')) }];
        })),
        floor: { what: `node -e 0 (Node ${process.version} starting and exiting; NODE_EXTRA_CA_CERTS unset, as bin/strata does)`, run: async () => run([process.execPath, ['-e', '0'], withoutCaCerts()]) },
      },
    },
  ];
}

/** The environment without NODE_EXTRA_CA_CERTS, which Node parses at start (bin/strata sets it aside). */
function withoutCaCerts(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}
