// 5. Images both ways and across machines, command against command: a 10-step Dockerfile built
// cold and fully cached, debootstrap with a warm .deb cache against its floor, save and load.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, strataCli, type BenchContext } from './context';
import type { Row, Side, System } from './measure';

type Argv = [string, string[], NodeJS.ProcessEnv];

/** Runs a command whose failure does not matter (the image may already be gone). */
const quietly = ([cmd, args, env]: Argv) => spawnSync(cmd, args, { env, stdio: 'ignore' });

/** The bench's Dockerfile: 10 instructions on busybox (FROM, 3 RUN, 2 COPY, metadata). */
export const DOCKERFILE_STEPS = 10;
function buildContext(ctx: BenchContext): string {
  const dir = mkdtempSync(join(ctx.work, 'build-'));
  writeFileSync(join(dir, 'a.txt'), 'a\n');
  writeFileSync(join(dir, 'b.txt'), 'b\n'.repeat(1000));
  writeFileSync(join(dir, 'Dockerfile'), [
    'FROM bb', 'ENV GREETING=hello', 'WORKDIR /app', 'COPY a.txt /app/a.txt', 'RUN echo one > /one',
    'COPY b.txt /app/b.txt', 'RUN mkdir -p /opt/x && echo two > /opt/x/two', 'LABEL bench=yes', 'RUN rm /one', 'CMD ["sh"]', '',
  ].join('\n'));
  return dir;
}

function builders(ctx: BenchContext): [System, (...args: string[]) => Argv, string][] {
  const out: [System, (...args: string[]) => Argv, string][] = [['strata', (...a) => strataCli(ctx, ctx.storeRoot, ...a), 'strata build']];
  for (const p of ctx.peers) {
    if (p.name === 'docker') {
      out.push(['docker', (...a) => { const [c, args, env] = p.cli(...a); return [c, args, { ...env, DOCKER_BUILDKIT: '0' }]; }, 'DOCKER_BUILDKIT=0 docker build (classic builder)']);
    } else out.push([p.name, p.cli, `${p.name} build`]);
  }
  return out;
}

export function buildRows(ctx: BenchContext): Row[] {
  const dir = buildContext(ctx);
  const cold = (cli: (...a: string[]) => Argv, how: string, extra: string[] = []): Side<any> => ({
    what: `${how} ${[...extra, ''].join(' ')}--no-cache -t NAME CONTEXT`,
    run: async (_c, r) => run(cli('build', '-q', ...extra, '--no-cache', '-t', `bench-cold-${r}`, dir)),
    after: async (_c, r) => { run(cli('rmi', `bench-cold-${r}`)); },
  });
  const rows: Row[] = [
    {
      id: 'build.cold',
      title: `build of a ${DOCKERFILE_STEPS}-step Dockerfile on busybox, cold (--no-cache)`,
      target: { kind: 'ratio', against: ['docker'], max: 0.5 },
      runs: Math.max(1, Math.ceil(ctx.runs / 3)),
      sides: Object.fromEntries(builders(ctx).map(([sys, cli, how]) => [sys, cold(cli, how)])),
    },
    {
      id: 'build.cached',
      title: `build of the same Dockerfile, every step cached (target: under 50 ms a step)`,
      target: { kind: 'ms', max: 50 * DOCKERFILE_STEPS },
      sides: Object.fromEntries(builders(ctx).map(([sys, cli, how]) => [sys, {
        what: `${how} -t NAME CONTEXT (after one build of it)`,
        run: async () => run(cli('build', '-q', '-t', 'bench-cached', dir)),
      }])),
    },
  ];
  // BuildKit needs Debian's own client (its BuildKit built in; Docker 28's wants the buildx plugin,
  // which Debian 12 does not package): a full run only, where a failure says why.
  const docker = ctx.quick ? undefined : ctx.peers.find((p) => p.name === 'docker');
  if (docker) {
    rows.push({
      id: 'build.cold.buildkit',
      title: 'build cold, against BuildKit',
      runs: Math.max(1, Math.ceil(ctx.runs / 3)),
      sides: {
        strata: cold((...a) => strataCli(ctx, ctx.storeRoot, ...a), 'strata build'),
        // BuildKit runs RUN steps on the default bridge network, which this dockerd does not have
        // (--bridge=none: "network bridge not found"); Strata's RUN has no network by default.
        docker: cold((...a) => { const [c, args, env] = docker.cli(...a); return [c, args, { ...env, DOCKER_BUILDKIT: '1' }]; }, 'DOCKER_BUILDKIT=1 docker build', ['--network', 'none']),
      },
    });
  }
  return rows;
}

/**
 * strata debootstrap with a warm .deb cache against its floor: debootstrap into a folder with the
 * same .debs at hand, then tar -c | tar -x of the result into another folder (what making it a
 * layer costs with tar). The warm-up round fills both caches.
 */
export function debootstrapRow(ctx: BenchContext): Row {
  const debs = '/var/cache/strata-bench/debs';
  mkdirSync(debs, { recursive: true });
  const scratch = () => mkdtempSync(join(ctx.work, 'debootstrap-'));
  return {
    id: 'debootstrap.warm',
    title: 'debootstrap --variant=minbase bookworm, warm .deb cache',
    target: { kind: 'ratio', against: ['floor'], max: 1.1 },
    runs: ctx.quick ? 1 : 2,
    warmup: 1,
    sides: {
      strata: {
        what: 'strata debootstrap --variant minbase bookworm NAME',
        run: async (_c, r) => run(strataCli(ctx, ctx.storeRoot, 'debootstrap', '--variant', 'minbase', 'bookworm', `bench-deb-${r}`)),
        after: async (_c, r) => { run(strataCli(ctx, ctx.storeRoot, 'rmi', `bench-deb-${r}`)); },
      },
      floor: {
        what: `debootstrap --variant=minbase --cache-dir=${debs} bookworm DIR; tar -C DIR -c . | tar -C DIR2 -x`,
        before: async () => scratch(),
        run: async (d: string) => {
          run(['debootstrap', ['--variant=minbase', `--cache-dir=${debs}`, 'bookworm', join(d, 'root')], process.env]);
          mkdirSync(join(d, 'copy'));
          run(['sh', ['-c', `tar -C ${join(d, 'root')} -c . | tar -C ${join(d, 'copy')} -x`], process.env]);
        },
        after: async (d: string) => rmSync(d, { recursive: true, force: true }),
      },
    },
  };
}

/** save and load of an image (`ref`, in Strata and every peer) through each CLI. */
export function saveLoadRows(ctx: BenchContext, ref: string, label: string): Row[] {
  const clis: [System, (...a: string[]) => Argv][] = [['strata', (...a) => strataCli(ctx, ctx.storeRoot, ...a)], ...ctx.peers.map((p): [System, (...a: string[]) => Argv] => [p.name, p.cli])];
  const file = (sys: System) => join(ctx.work, `saved-${sys}.tar`);
  const runs = ctx.quick ? 1 : 3;
  return [
    {
      id: 'save', title: `save of ${label}`, runs, warmup: ctx.quick ? 0 : 1,
      target: { kind: 'ratio', against: ctx.peers.map((p) => p.name), max: 1 },
      sides: Object.fromEntries(clis.map(([sys, cli]) => [sys, {
        what: `${sys} save -o FILE ${ref}`,
        before: async () => rmSync(file(sys), { force: true }),
        run: async () => run(cli('save', '-o', file(sys), ref)),
      }])),
    },
    {
      id: 'load', title: `load of ${label} (the archive each saved; the image removed before)`, runs, warmup: ctx.quick ? 0 : 1,
      target: { kind: 'ratio', against: ctx.peers.map((p) => p.name), max: 1 },
      sides: Object.fromEntries(clis.map(([sys, cli]) => [sys, {
        what: `${sys} load -i FILE`,
        before: async () => { if (!existsSync(file(sys))) run(cli('save', '-o', file(sys), ref)); quietly(cli('rmi', '-f', ref)); },
        run: async () => run(cli('load', '-i', file(sys))),
      }])),
    },
  ];
}

