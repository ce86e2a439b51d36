// A small typed validator: every RPC parameter is checked against its schema before the engine
// sees it (a root helper must not act on a value of the wrong type or shape). The TypeScript
// types of the parameters are inferred from the same schemas, so the two cannot drift apart.

export class SchemaError extends Error {}

export interface Schema<T> {
  readonly optional: boolean;
  check(value: unknown, where: string): T;
}

type Opt<T> = Schema<T | undefined> & { readonly optional: true };

function make<T>(check: (value: unknown, where: string) => T): Schema<T> {
  return { optional: false, check };
}

function fail(where: string, what: string): never {
  throw new SchemaError(`${where}: ${what}`);
}

export const s = {
  string(opts: { pattern?: RegExp; max?: number; min?: number; what?: string } = {}): Schema<string> {
    const max = opts.max ?? 4096;
    return make((v, where) => {
      if (typeof v !== 'string') fail(where, 'expected a string');
      if (v.length > max) fail(where, `longer than ${max} characters`);
      if (opts.min !== undefined && v.length < opts.min) fail(where, `shorter than ${opts.min} characters`);
      if (v.includes('\0')) fail(where, 'contains a NUL byte');
      if (opts.pattern && !opts.pattern.test(v)) fail(where, `not ${opts.what ?? `matching ${opts.pattern}`}: ${JSON.stringify(v.slice(0, 80))}`);
      return v;
    });
  },
  int(opts: { min?: number; max?: number } = {}): Schema<number> {
    return make((v, where) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(where, 'expected an integer');
      if (opts.min !== undefined && v < opts.min) fail(where, `less than ${opts.min}`);
      if (opts.max !== undefined && v > opts.max) fail(where, `more than ${opts.max}`);
      return v;
    });
  },
  bool(): Schema<boolean> {
    return make((v, where) => (typeof v === 'boolean' ? v : fail(where, 'expected true or false')));
  },
  oneOf<const T extends readonly string[]>(...values: T): Schema<T[number]> {
    return make((v, where) => ((values as readonly unknown[]).includes(v) ? (v as T[number]) : fail(where, `expected one of ${values.join(', ')}`)));
  },
  array<T>(item: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
    const max = opts.max ?? 1024;
    return make((v, where) => {
      if (!Array.isArray(v)) fail(where, 'expected an array');
      if (v.length > max) fail(where, `more than ${max} items`);
      return v.map((x, i) => item.check(x, `${where}[${i}]`));
    });
  },
  /** A string-keyed map (labels): own keys only, checked one by one, at most `max` of them. */
  record<V>(key: Schema<string>, value: Schema<V>, opts: { max?: number } = {}): Schema<Record<string, V>> {
    const max = opts.max ?? 1024;
    return make((v, where) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object');
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length > max) fail(where, `more than ${max} keys`);
      // fromEntries defines own properties: a "__proto__" key stays a key, not the object's prototype
      return Object.fromEntries(entries.map(([k, x]) => [key.check(k, `${where} key`), value.check(x, `${where}.${k}`)]));
    });
  },
  optional<T>(inner: Schema<T>): Opt<T> {
    return { optional: true, check: (v, where) => (v === undefined || v === null ? undefined : inner.check(v, where)) };
  },
  object<P extends Record<string, Schema<unknown>>>(props: P): Schema<ObjectOf<P>> {
    return make((v, where) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object');
      const input = v as Record<string, unknown>;
      // Own keys only: `key in props` is true for "__proto__", "constructor" and the other
      // Object.prototype names, which would pass a field no method defines.
      for (const key of Object.keys(input)) if (!Object.hasOwn(props, key)) fail(where, `unknown field "${key}"`);
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(props)) {
        if (!schema.optional && input[key] === undefined) fail(where, `missing field "${key}"`);
        const checked = schema.check(input[key], `${where}.${key}`);
        if (checked !== undefined) out[key] = checked;
      }
      return out as ObjectOf<P>;
    });
  },
};

type OptionalKeys<P> = { [K in keyof P]: P[K] extends { optional: true } ? K : never }[keyof P];
type RequiredKeys<P> = Exclude<keyof P, OptionalKeys<P>>;
type Out<S> = S extends Schema<infer T> ? T : never;
export type ObjectOf<P> = { [K in RequiredKeys<P>]: Out<P[K]> } & { [K in OptionalKeys<P>]?: Exclude<Out<P[K]>, undefined> };
export type Infer<S> = S extends Schema<infer T> ? T : never;
