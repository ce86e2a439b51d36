// Docker's time values (docker/cli's GetTimestamp, as logs --since/--until and events take them):
// a Go duration before now ("10m", "1h30m", "1.5s"), unix seconds with an optional fraction
// ("1700000000", "1700000000.5"), or RFC 3339 / a date without time zone (taken as local time,
// as Docker does) / a date alone. Returns ms since the epoch, or undefined when it is none of these.
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function goDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m; (m = re.exec(text)); pos = re.lastIndex) total += Number(m[1]) * UNIT_MS[m[2]];
  return pos === text.length && pos > 0 ? total : undefined;
}

export function dockerTime(value: string, nowMs: number): number | undefined {
  const duration = goDuration(value);
  if (duration !== undefined) return nowMs - duration;
  if (/^\d+(\.\d{1,9})?$/.test(value)) return Math.floor(Number(value) * 1000);
  // RFC 3339 with a zone (Z or ±hh:mm); or a date[Thh[:mm[:ss[.frac]]]] without one: local time
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Math.floor(Number(`0${frac || '.0'}`) * 1000);
  if (zone) {
    const t = Date.parse(`${y}-${mo}-${d}T${h.padStart(2, '0')}:${mi.padStart(2, '0')}:${s.padStart(2, '0')}${zone}`);
    return Number.isNaN(t) ? undefined : t + ms;
  }
  const t = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms).getTime();
  return Number.isNaN(t) ? undefined : t;
}
