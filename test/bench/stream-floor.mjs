// The floor of an import whose bytes pass through a Node process (test/bench/rows-floor.ts,
// floor.import.node): a server on a unix socket that, for each connection, hashes every byte it
// receives (sha256, as an import must for its diff_id) while piping them into `tar -x` in a new
// folder under BASE, then runs `sync -f` on that folder and answers with the folder's path.
// No parsing, no checks, no records: only what any importer written in Node pays for the bytes.
// Usage: node stream-floor.mjs SOCKET BASE   (prints "ready" once it listens)
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const [socket, base] = process.argv.slice(2);
rmSync(socket, { force: true });
createServer({ allowHalfOpen: true }, (conn) => {
  const dir = mkdtempSync(join(base, 'node-'));
  const hash = createHash('sha256');
  const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'inherit', 'inherit'] });
  conn.on('data', (chunk) => {
    hash.update(chunk);
    // Backpressure from the pipe, as a real importer must have.
    if (!tar.stdin.write(chunk)) {
      conn.pause();
      tar.stdin.once('drain', () => conn.resume());
    }
  });
  conn.on('end', () => tar.stdin.end());
  tar.on('exit', (code) => {
    if (code !== 0) return conn.end(`error: tar -x exited ${code}\n`);
    execFileSync('sync', ['-f', dir]);
    hash.digest('hex');
    conn.end(`${dir}\n`);
  });
}).listen(socket, () => console.log('ready'));
