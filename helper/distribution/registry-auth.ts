// A registry's authentication, as the distribution spec and Docker do it: a request answered 401
// carries WWW-Authenticate; "Basic" means the user's name and password on every request;
// "Bearer realm=...,service=...,scope=..." means a token fetched from the realm (with the
// name and password as Basic, or anonymously) and sent as "Bearer TOKEN".
// Credentials come with the client's request and live only in this request's memory: the helper
// never writes them anywhere, and sends them only to the registry and to the realm it names.
export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** The challenges of a WWW-Authenticate header: `Bearer realm="x",service="y", Basic realm="z"`. */
export function parseChallenges(header: string | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  const re = /\s*([A-Za-z][A-Za-z0-9-]*)(?:\s+|$)|\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?/gy;
  let current: Challenge | null = null;
  for (let m = re.exec(header); m && re.lastIndex <= header.length; m = re.exec(header)) {
    if (m[0] === '') break;
    if (m[1] !== undefined) {
      current = { scheme: m[1].toLowerCase(), params: {} };
      out.push(current);
    } else if (current && m[2] !== undefined) {
      const raw = m[3];
      current.params[m[2].toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    }
  }
  return out;
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}
