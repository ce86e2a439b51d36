// Lets a test running inside the extension host reach the browser that shows the workbench.
// The runner (scripts/vscode-run.mjs) listens on 127.0.0.1 and passes its address to the extension
// host as STRATA_SCREENSHOT_URL; each call here is one JSON POST to it, answered when done.
// Under a runner that has no browser (a desktop VS Code via @vscode/test-electron) the variable is
// absent: screenshot() then does nothing and returns undefined, visibleRows() throws.
import * as http from 'node:http';

const ENV = 'STRATA_SCREENSHOT_URL';

export function browserAvailable(): boolean {
  return !!process.env[ENV];
}

export function post<T>(path: string, body: unknown, timeoutMs = 60_000): Promise<T> {
  const base = process.env[ENV];
  if (!base) return Promise.reject(new Error(`${ENV} is not set: this needs the code-server runner (scripts/vscode-run.mjs)`));
  const url = new URL(path, base);
  const data = Buffer.from(JSON.stringify(body));
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: { error?: string } & Record<string, unknown>;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new Error(`runner answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
          }
          if (res.statusCode !== 200 || parsed.error) return reject(new Error(`runner ${path}: ${parsed.error ?? res.statusCode}`));
          resolve(parsed as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`runner ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Saves a PNG of the whole workbench as NAME.png in the runner's screenshots folder; returns its path. */
export async function screenshot(name: string): Promise<string | undefined> {
  if (!browserAvailable()) return undefined;
  const { path } = await post<{ path: string }>('/screenshot', { name });
  return path;
}

export interface RowsOptions {
  /** Wait until at least this many visible elements match (or timeoutMs passes), then answer. */
  atLeast?: number;
  /** Wait until some visible match's text contains this string. */
  containing?: string;
  /** How long to wait for atLeast / containing; default 10 s. What is there then is returned. */
  timeoutMs?: number;
}

/**
 * The text a user sees in each visible element matching a CSS selector (default: every list/tree
 * row, `.monaco-list-row`), in document order: the element's visible text pieces joined by one space
 * (so a tree row reads "label description"). Scope it to one view with `viewRows(viewName)`.
 */
export async function visibleRows(selector = '.monaco-list-row', options: RowsOptions = {}): Promise<string[]> {
  // The runner may wait timeoutMs for the rows, then answers with what is there: the request itself
  // waits longer, so a test sees the rows (and says what was wrong) rather than a timeout of its own.
  const waitMs = options.atLeast || options.containing ? options.timeoutMs ?? 10_000 : 0;
  const { rows } = await post<{ rows: string[] }>('/rows', { query: selector, ...options }, waitMs + 60_000);
  return rows;
}

/**
 * The selector of the rows of one tree or list view, by the view's name as its header shows it
 * (package.json "views" name, or TreeView.title): VS Code labels the view's list with it.
 */
export function viewRowsSelector(viewName: string): string {
  return `.monaco-list[aria-label="${viewName.replace(/["\\]/g, '\\$&')}"] .monaco-list-row`;
}

/** The visible rows of one tree or list view, by its name (see viewRowsSelector). */
export function viewRows(viewName: string, options: RowsOptions = {}): Promise<string[]> {
  return visibleRows(viewRowsSelector(viewName), options);
}

/** For writing selectors: the outer HTML of each element matching a selector (cut at maxChars). */
export async function outerHTML(selector: string, maxChars = 20_000): Promise<string[]> {
  const { html } = await post<{ html: string[] }>('/html', { query: selector, maxChars });
  return html;
}

/** Presses a key in the workbench where the focus is, as a user would (a keybinding, a dialog's button). */
export async function press(key: string): Promise<void> {
  await post('/press', { key });
}

/** Clicks the first visible element matching a selector (whose text contains `containing`), as a user would. */
export async function click(selector: string, containing?: string): Promise<void> {
  await post('/click', { query: selector, containing });
}
