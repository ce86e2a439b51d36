// Docker-style generated container names (adjective_scientist), so `ps` is readable.
import { randomInt } from 'node:crypto';

const ADJECTIVES = ['brave', 'calm', 'clever', 'eager', 'fond', 'gentle', 'happy', 'jolly', 'keen', 'kind', 'lucid', 'merry', 'nifty', 'proud', 'quiet', 'sharp', 'swift', 'tender', 'vivid', 'witty', 'zealous', 'bold', 'cool', 'dreamy'];
const NAMES = ['turing', 'hopper', 'lovelace', 'ritchie', 'thompson', 'torvalds', 'knuth', 'dijkstra', 'hamilton', 'liskov', 'lamport', 'kernighan', 'mccarthy', 'shannon', 'wozniak', 'babbage', 'backus', 'cerf', 'engelbart', 'goldberg', 'hoare', 'perlman', 'stallman', 'wirth'];

export function generateName(taken: (name: string) => boolean): string {
  for (let i = 0; ; i++) {
    const base = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NAMES[randomInt(NAMES.length)]}`;
    const name = i < 10 ? base : `${base}${i}`;
    if (!taken(name)) return name;
  }
}
