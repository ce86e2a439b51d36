// npm run fuzz -- [--count N] [--seed S]: the bad-tar fuzzer (test/hostile/tar-fuzz.test.ts) for
// longer than npm test runs it (2000 inputs), and its inputs through load and ADD
// (test/hostile/load-add-fuzz.test.ts: N/20 of them, each a CLI call; npm test runs 50).
// A failure prints the seed and the input to replay.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './ensure.mjs';

const args = process.argv.slice(2);
const value = (flag) => { const i = args.indexOf(flag); return i < 0 ? undefined : args[i + 1]; };
const count = Number(value('--count') ?? 20000);
const env = { ...process.env, STRATA_FUZZ_COUNT: String(count), STRATA_FUZZ_LOAD_COUNT: String(Math.max(1, Math.round(count / 20))) };
if (value('--seed') !== undefined) env.STRATA_FUZZ_SEED = value('--seed');
const r = spawnSync(process.execPath, [join(root, 'scripts/test.mjs'), 'tar-fuzz', 'load-add-fuzz'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
