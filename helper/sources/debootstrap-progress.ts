// debootstrap's progress, as it reports it to the Debian installer (`--debian-installer`: machine
// lines on fd 3), turned into stages with counts. Its plain `I:` lines carry no counts; this
// protocol carries the same `I:` messages (name, arguments, printf format) and `P: now end NAME`
// lines with the counts debootstrap itself keeps (packages to fetch, extracted, unpacked,
// configured). Pure: fed line by line, it emits events and keeps the tallies.
//
//   I: NAME / IA: arg ... / IF: format     a message (W: and E: alike, for warnings and errors)
//   P: now end [NAME] / PA: ... / PF: ...  a progress bar: NAME starts a phase, without it updates it

/** The stages, in the order a debootstrap goes through them (a stage may come back). */
export const DEBOOTSTRAP_STAGES = ['setup', 'preparing', 'retrieving', 'validating', 'resolving', 'extracting', 'installing', 'unpacking', 'configuring', 'importing'] as const;
export type DebootstrapStage = (typeof DEBOOTSTRAP_STAGES)[number];

export interface DebootstrapEvent {
  stage: DebootstrapStage;
  message: string;
  /** N of M packages, where debootstrap counts them. */
  done?: number;
  total?: number;
}

/** The stage of an `I:` message, by its name (debootstrap's functions and scripts/debian-common). */
function stageOf(name: string): DebootstrapStage {
  if (name === 'RETRIEVING') return 'retrieving';
  if (name === 'VALIDATING') return 'validating';
  if (name === 'EXTRACTING' || name === 'CHOSENEXTRACTOR') return 'extracting';
  if (name === 'INSTCORE') return 'installing';
  if (name.startsWith('UNPACK')) return 'unpacking';
  if (name.startsWith('CONF')) return 'configuring';
  if (name.startsWith('RESOLV') || name === 'CHECKINGSIZES' || name === 'NEWDEPS' || name === 'FOUNDDEBS') return 'resolving';
  return 'preparing';
}

/** The `P:` phases whose counts are packages, for the stage whose messages follow them. */
const COUNTED_PHASES: Record<string, DebootstrapStage> = {
  EXTRACTPKGS: 'extracting', UNPACKREQ: 'unpacking', UNPACKBASE: 'unpacking', CONFREQ: 'configuring', CONFBASE: 'configuring',
};

/** printf's %s (and %d, %i, %u, %%) with debootstrap's arguments, as its `info` prints them. */
export function formatMessage(format: string, args: string[]): string {
  let next = 0;
  return format.replace(/%([%sdiu])/g, (_m, c: string) => (c === '%' ? '%' : (args[next++] ?? ''))).trim();
}

export class DebootstrapProgress {
  /** Packages debootstrap fetches (its "Finding package sizes" count), 0 until it knows. */
  packages = 0;
  /** Packages fetched from the mirror (the others were valid in the cache). */
  downloaded = 0;
  /** The last error debootstrap reported (`E:`), formatted, and its name (NOSCRIPT, NOGETREL, ...). */
  error: string | undefined;
  errorName: string | undefined;
  readonly warnings: string[] = [];

  private group: { kind: string; name: string; args: string[] } | null = null;
  private stage: DebootstrapStage = 'preparing';
  private phase = '';
  private now = 0;
  private end = 0;
  private readonly fetched = new Set<string>();

  constructor(private readonly emit: (event: DebootstrapEvent) => void = () => {}) {}

  line(text: string): void {
    const m = /^([A-Z]{1,2}):(?: (.*))?$/.exec(text);
    if (!m) return;
    const [, tag, rest = ''] = m;
    if (tag === 'P') return this.progressLine(rest);
    if (tag === 'I' || tag === 'W' || tag === 'E') {
      this.group = { kind: tag, name: rest.trim(), args: [] };
    } else if (tag.length === 2 && this.group && tag[0] === this.group.kind) {
      if (tag[1] === 'A') this.group.args.push(rest);
      else if (tag[1] === 'F') {
        const { kind, name, args } = this.group;
        this.group = null;
        this.message(kind, name, formatMessage(rest, args), args);
      }
    }
  }

  private progressLine(rest: string): void {
    const [now, end, name] = rest.trim().split(/\s+/);
    if (name) this.phase = name;
    this.now = Number(now) || 0;
    this.end = Number(end) || 0;
    // SIZEDEBS counts the packages it sized: its end is how many .debs this run needs.
    if (this.phase === 'SIZEDEBS' && this.end > 0) this.packages = this.end;
  }

  private message(kind: string, name: string, text: string, args: string[]): void {
    if (kind === 'E') {
      this.error = text;
      this.errorName = name;
      return;
    }
    if (kind === 'W') {
      // A warning belongs to whatever debootstrap was doing.
      this.warnings.push(text);
      this.emit({ stage: this.stage, message: `warning: ${text}` });
      return;
    }
    const stage = (this.stage = stageOf(name));
    const event: DebootstrapEvent = { stage, message: text };
    // A .deb (a version in its second argument) while the packages download: N of M distinct ones.
    if ((name === 'RETRIEVING' || name === 'VALIDATING') && this.phase === 'DOWNDEBS' && args[1]) {
      this.fetched.add(args[0]);
      if (name === 'RETRIEVING') this.downloaded++;
      Object.assign(event, this.packages ? { done: Math.min(this.fetched.size, this.packages), total: this.packages } : {});
    } else if (COUNTED_PHASES[this.phase] === stage && this.end > 0) {
      // debootstrap's count can pass its end by one (libc-bin is configured again): clamped.
      Object.assign(event, { done: Math.min(this.now, this.end), total: this.end });
    }
    this.emit(event);
  }
}
