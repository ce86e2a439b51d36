// npm run fuzz -- [--count N] [--seed S]: the bad-tar fuzzer (test/hostile/tar-fuzz.test.ts) for
// longer than npm test runs it (2000 inputs). A failure prints the seed and the input to replay.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './ensure.mjs';

const args = process.argv.slice(2);
const value = (flag) => { const i = args.indexOf(flag); return i < 0 ? undefined : args[i + 1]; };
const env = { ...process.env, STRATA_FUZZ_COUNT: value('--count') ?? '20000' };
if (value('--seed') !== undefined) env.STRATA_FUZZ_SEED = value('--seed');
const r = spawnSync(process.execPath, [join(root, 'scripts/test.mjs'), 'tar-fuzz'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
