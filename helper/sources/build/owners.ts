// --chown NAME[:GROUP] as Docker resolves it: numbers as they are, names from the /etc/passwd and
// /etc/group of the image being built (never the host's), the group defaulting to the user's.
import { readMergedFile } from '../../archive/read-file';

export interface Owner { uid: number; gid: number }

function table(text: string): string[][] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

async function readEtc(dirs: string[], name: string): Promise<string[][]> {
  const view = await readMergedFile(dirs, `/etc/${name}`, 4 * 1024 * 1024);
  return view.kind === 'file' && view.data ? table(view.data.toString('utf8')) : [];
}

/** `spec` (user[:group], names or ids) as numbers, looked up in the image whose layers are `dirs` (top first). */
export async function resolveOwner(spec: string, dirs: string[]): Promise<Owner> {
  const [user, group] = spec.split(':', 2);
  if (!user) throw new Error(`--chown: invalid user ${JSON.stringify(spec)}`);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
  } else {
    const row = (await readEtc(dirs, 'passwd')).find((r) => r[0] === user);
    if (!row) throw new Error(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const row = (await readEtc(dirs, 'group')).find((r) => r[0] === group);
      if (!row) throw new Error(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`);
      gid = Number(row[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}
