// npm run bench:registry [-- --runs N] [--minbase] [--no-docker]: strata push and pull against
// skopeo copy and docker push/pull on a loopback registry (test/bench/registry.ts says how).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root, ensureBuilt, ensureDebianPackages, ensureNodeModules, requireRoot } from './ensure.mjs';

requireRoot('bench:registry');
ensureDebianPackages();
ensureNodeModules();
ensureBuilt(['--tests']);
const r = spawnSync(process.execPath, [join(root, 'out/test/bench/registry.js'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
