// npm run demo: builds Strata and walks through the article's transcript on the built-in busybox
// root fs with the strata command, printing each command and what it shows. Needs root (as the
// article's sudo does). (npm start opens the same in VS Code.)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt, requireRoot } from './ensure.mjs';

requireRoot('npm run demo');
ensureDebianPackages();
ensureNodeModules();
ensureBuilt();

const storeRoot = process.env.STRATA_ROOT || '/var/lib/strata';
const cli = join(root, 'bin/strata'); // the strata command, as package.json's bin gives it
const bold = (t) => (process.stdout.isTTY ? `\x1b[1m${t}\x1b[0m` : t);

function show(command, { input, capture = true } = {}) {
  console.log(bold(`$ ${command.display ?? command.args.join(' ')}`));
  const r = spawnSync(command.file ?? cli, command.file ? command.args : ['--root', storeRoot, ...command.args], {
    input, encoding: 'utf8', stdio: [input === undefined ? 'inherit' : 'pipe', capture ? 'pipe' : 'inherit', 'inherit'],
  });
  if (capture) process.stdout.write(r.stdout);
  if (r.status !== 0) {
    console.error(`(exited ${r.status})`);
    process.exit(r.status ?? 1);
  }
  return r.stdout ?? '';
}

const strata = (...args) => ({ args, display: `strata ${args.join(' ')}` });
const work = mkdtempSync(join(tmpdir(), 'strata-demo-'));
try {
  const { build } = await import('esbuild');
  await build({ entryPoints: [join(root, 'helper/sources/busybox.ts')], outfile: join(root, 'out/demo/busybox.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
  const { buildBusyboxRootfs } = await import(join(root, 'out/demo/busybox.mjs'));
  console.log(`Strata: the article's transcript, on a busybox root fs (store: ${storeRoot})\n`);
  console.log(bold('# a root file system folder (the article uses debootstrap; this is Debian\'s busybox-static)'));
  const rootfs = join(work, 'busybox64');
  await buildBusyboxRootfs(rootfs);
  console.log(`$ ls ${rootfs}\n${readdirSync(rootfs).sort().join('  ')}\n`);

  const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 1 << 30 });
  const id = show({ ...strata('import', '-', 'busybox64'), display: `tar -C ${rootfs} -c . | strata import - busybox64` }, { input: tar }).trim();
  const inspect = (ref) => JSON.parse(execFileSync(cli, ['--root', storeRoot, 'inspect', '--type', 'image', ref], { encoding: 'utf8' }))[0];
  const image = inspect('busybox64');
  const layerDir = image.Strata.Layers[0].Path;
  show({ file: 'ls', args: [layerDir], display: `ls ${layerDir}` });

  const session = 'hostname\necho hello > /hello\nrm /etc/motd\nexit\n';
  console.log(bold('# an interactive shell in a new container (here fed from a script; try `strata run -i -t busybox64 /usr/bin/env bash` yourself)'));
  const out = show({ ...strata('run', '-i', 'busybox64', '/usr/bin/env', 'bash'), display: `strata run -i busybox64 /usr/bin/env bash <<'EOF'\n${session}EOF` }, { input: session });
  const shortId = out.trim().split('\n')[0];
  show(strata('diff', shortId));
  const newImage = show(strata('commit', '-m', 'hello, and no motd', shortId, 'busybox_and_hello')).trim();
  const top = inspect(newImage).Strata.Layers.at(-1);
  show({ file: 'ls', args: ['-la', top.Path], display: `ls -la ${top.Path}` });
  show({ file: 'ls', args: ['-la', join(top.Path, 'etc')], display: `ls -la ${join(top.Path, 'etc')}   # the whiteout for motd: a 0/0 character device` });
  show(strata('history', 'busybox_and_hello'));
  show(strata('run', '--rm', 'busybox_and_hello', 'cat', '/hello'));
  show(strata('images'));
  console.log(`\n${bold('Try it:')} sudo ${cli} run -i -t busybox64 /usr/bin/env bash   (image id ${id.slice(7, 19)})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
