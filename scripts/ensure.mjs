// Makes a fresh Debian 12 clone ready: npm packages, the Debian packages Strata needs, a build.
// Uses only Node's own modules, since it runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

// Debian package -> a file that proves it is installed.
const debianNeeds = {
  'busybox-static': '/bin/busybox',
  gcc: '/usr/bin/gcc',
  'libc6-dev': '/usr/include/stdio.h',
  // The save tests check that skopeo reads Strata's archives (issue 11).
  skopeo: '/usr/bin/skopeo',
  // The push/pull tests run a real registry (CNCF distribution) on loopback (issue 11),
  'docker-registry': '/usr/bin/docker-registry',
  // and one of them behind htpasswd Basic auth.
  'apache2-utils': '/usr/bin/htpasswd',
  // The archive tests: zstd layers made by Debian's zstd; umoci unpacks and oci-image-tool validates
  // Strata's OCI layouts (issue 11).
  zstd: '/usr/bin/zstd',
  umoci: '/usr/bin/umoci',
  'oci-image-tool': '/usr/bin/oci-image-tool',
  // A push compresses its layers with libdeflate when it is there (strata-fs gzip loads it at run
  // time; without it Node's zlib does the work in parallel blocks, at twice the CPU).
  libdeflate0: '/usr/lib/x86_64-linux-gnu/libdeflate.so.0',
  // and makes an imported layer's tar again, hashed and gzip'd, in one process (strata-fs
  // tar-gzip) when libcrypto is there too (its sha256).
  libssl3: '/usr/lib/x86_64-linux-gnu/libcrypto.so.3',
  // An import reads the tar in C (strata-fs import) with libcrypto's sha256 and libdeflate's CRC-32
  // (above); its test gives a GNU tar with xattrs, set with setfattr.
  attr: '/usr/bin/setfattr',
  // The bench's hashed import floor (floor.import.hashed) hashes a tar as tar -x reads it.
  openssl: '/usr/bin/openssl',
};

function run(cmd, args, env = {}) {
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
}

export function ensureDebianPackages(extra = {}) {
  const wanted = { ...debianNeeds, ...extra };
  const missing = Object.keys(wanted).filter((pkg) => !existsSync(wanted[pkg]));
  if (missing.length === 0) return;
  if (process.getuid() !== 0) {
    console.error(`strata: missing Debian packages: ${missing.join(' ')}\n  install them with: sudo apt-get install ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`strata: installing Debian packages: ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env: { ...process.env, ...env } }).status;
  if (install() !== 0) {
    run('apt-get', ['update', '-q'], env);
    if (install() !== 0) {
      console.error(`strata: apt-get could not install ${missing.join(' ')}`);
      process.exit(1);
    }
  }
}

export function ensureNodeModules() {
  const stamp = join(root, 'node_modules/.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('strata: installing npm packages');
  // npm_config_yes: node-pty's install may call npx node-gyp, which the machine's npmrc (yes=false) cancels.
  run('npm', ['ci', '--no-audit', '--no-fund'], { npm_config_yes: 'true' });
}

export function ensureBuilt(args = []) {
  run(process.execPath, [join(root, 'scripts/build.mjs'), ...args]);
}

export function requireRoot(what) {
  if (process.getuid() !== 0) {
    console.error(`strata: ${what} needs root (namespaces, mounts, cgroups); run it with sudo`);
    process.exit(1);
  }
}
