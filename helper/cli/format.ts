// Output the way docker prints it: aligned columns, SI sizes ("2.05MB"), relative times.

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  const digits = v < 10 ? 3 : v < 100 ? 4 : 3;
  return `${u === 0 ? v : Number(v.toPrecision(digits))}${units[u]}`;
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return `${Math.floor(s)} second${Math.floor(s) === 1 ? '' : 's'} ago`;
  const m = s / 60;
  if (m < 2) return 'About a minute ago';
  if (m < 60) return `${Math.floor(m)} minutes ago`;
  const h = m / 60;
  if (h < 2) return 'About an hour ago';
  if (h < 48) return `${Math.floor(h)} hours ago`;
  const d = h / 24;
  if (d < 14) return `${Math.floor(d)} days ago`;
  if (d < 60) return `${Math.floor(d / 7)} weeks ago`;
  if (d < 730) return `${Math.floor(d / 30)} months ago`;
  return `${Math.floor(d / 365)} years ago`;
}

export function duration(fromIso: string, now = Date.now()): string {
  return ago(fromIso, now).replace(/ ago$/, '').replace(/^Less than a second$/, 'Less than a second');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function short(id: string): string {
  return (id.startsWith('sha256:') ? id.slice(7) : id).slice(0, 12);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Threat: text a container chose (a process's argv, a file name) printed raw on a terminal could
 *  carry escape sequences that rewrite it (its title, its contents, even its input). Control
 *  characters show as '?', as ps and ls show them. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
