// Output the way docker prints it: Go's tabwriter columns, go-units sizes ("2.05MB", "316KiB"),
// go-units durations ("About a minute ago"), Go's time formats.
import { tabwrite } from './template';
import { goExponent } from './template/values';

/** Columns as Docker's tables align them (Go's tabwriter: minwidth 10, padding 3). */
export function table(headers: string[], rows: string[][]): string {
  return tabwrite([headers, ...rows].map((r) => r.join('\t')).join('\n') + '\n');
}

/** Go's %.<precision>g: at most that many significant digits, trailing zeros dropped. */
function goG(x: number, precision: number): string {
  const s = x.toPrecision(precision);
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    return goExponent(`${m.includes('.') ? m.replace(/\.?0+$/, '') : m}e${e}`);
  }
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function customSize(bytes: number, base: number, units: string[], precision: number): string {
  let v = bytes;
  let u = 0;
  while (v >= base && u < units.length - 1) { v /= base; u++; }
  return `${goG(v, precision)}${units[u]}`;
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units HumanSizeWithPrecision: docker images and history SIZE use 3 digits ("1.99MB"),
 *  system df uses HumanSize's 4 ("1.986MB"). */
export function humanSize(bytes: number, precision = 3): string {
  return customSize(bytes, 1000, DECIMAL, precision);
}

/** go-units BytesSize: binary units with 4 digits, as docker stats prints memory ("316KiB"). */
export function bytesSize(bytes: number): string {
  return customSize(bytes, 1024, BINARY, 4);
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** Whole seconds since the epoch, as the Engine API gives Created in lists. */
export function unixSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** "5 minutes ago", from a time the API gives in whole seconds (list CREATED columns). */
export function ago(iso: string, now = Date.now()): string {
  return `${humanDuration(Math.max(0, now - unixSeconds(iso) * 1000))} ago`;
}

/** How long since a precise time ("Up 5 seconds", "Exited (0) 2 minutes ago": the daemon's State.String). */
export function duration(fromIso: string, now = Date.now()): string {
  return humanDuration(Math.max(0, now - Date.parse(fromIso)));
}

const two = (n: number) => String(n).padStart(2, '0');

function zone(d: Date): { offset: string; name: string } {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  const offset = `${minutes < 0 ? '-' : '+'}${two(Math.trunc(abs / 60))}${two(abs % 60)}`;
  const name = minutes === 0 ? 'UTC' : new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? offset;
  return { offset, name };
}

/** Go's time.Time.String() of time.Unix(seconds, 0): "2026-12-02 15:22:52 +0000 UTC" (local zone). */
export function goTimeString(iso: string): string {
  const d = new Date(unixSeconds(iso) * 1000);
  const { offset, name } = zone(d);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${offset} ${name}`;
}

/** time.RFC3339 of time.Unix(seconds, 0) in the local zone: "2026-12-02T15:22:54Z". */
export function rfc3339(iso: string): string {
  const d = new Date(unixSeconds(iso) * 1000);
  const { offset } = zone(d);
  const z = offset === '+0000' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${z}`;
}

/** Docker's formatter.Ellipsis: at most max characters, the last one "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
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
