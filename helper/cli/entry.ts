// dist/cli.js: the `strata` command's entry. It runs the CLI (dist/cli-main.js, built from main.ts)
// through the V8 code cache that the build saved beside it (code-cache.ts): compiling the 350 KB
// bundle is the largest part of each command's start after Node's own. Without a usable cache (none,
// another Node, truncated, damaged, another build's) the bundle is compiled as Node would compile it,
// and runs the same. Nothing is written here at run time: dist/ may not be the user's to write.
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { openCodeCache, sealCodeCache } from './code-cache';

const bundleFile = join(__dirname, 'cli-main.js');
const cacheFile = join(__dirname, 'cli-main.v8cache');

function readBundle(): Buffer {
  try {
    return readFileSync(bundleFile);
  } catch (err) {
    process.stderr.write(`strata: cannot read ${bundleFile} (${(err as Error).message}): run npm run build\n`);
    process.exit(1);
  }
}

function usableCache(bundle: Buffer): { data?: Buffer; status: string } {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch (err) {
    return { status: `none (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  try {
    const opened = openCodeCache(bundle, file);
    return 'data' in opened ? { data: opened.data, status: 'read' } : { status: `unused: ${opened.problem}` };
  } catch (err) {
    // e.g. no WebAssembly for the digest (node --jitless): compile as without a cache
    return { status: `unused: ${(err as Error).message}` };
  }
}

const bundle = readBundle();
// STRATA_CODE_CACHE_OUT: the build's run that makes the cache (scripts/build.mjs), nothing else.
const making = process.env.STRATA_CODE_CACHE_OUT;
const cache = making ? { status: 'being made' } : usableCache(bundle);
// The CommonJS wrapper as Node puts it, on the bundle's first line: line numbers in stack traces
// are the bundle's own, under its own file name.
const script = new Script(Module.wrap(bundle.toString('utf8')), { filename: bundleFile, cachedData: cache.data });
if (process.env.STRATA_CODE_CACHE_REPORT) {
  // One line on stderr saying what became of the cache (test/integration/cli-code-cache.test.ts).
  process.stderr.write(`strata: code cache ${cache.data ? (script.cachedDataRejected ? 'rejected by V8' : 'accepted') : cache.status}\n`);
}
// At exit the cache holds the functions the command compiled, not only the top level.
if (making) process.on('exit', () => writeFileSync(making, sealCodeCache(bundle, script.createCachedData())));
const bundleModule = { exports: {} };
script.runInThisContext().call(bundleModule.exports, bundleModule.exports, Module.createRequire(bundleFile), bundleModule, bundleFile, __dirname);
