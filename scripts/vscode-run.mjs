#!/usr/bin/env node
// Runs an extension test suite inside real VS Code: code-server 4.100.3 (VS Code 1.100.3, Node
// extension host) shown by Debian's chromium through playwright-core. How and why: test/vscode/README.md.
//
// Usage: node scripts/vscode-run.mjs --extension DIR --tests FILE.js [--workspace DIR]
//          [--screenshots DIR] [--env K=V ...] [--timeout SECONDS] [--keep-temp] [--verbose]
//   --extension    the extension's folder (its package.json), as extensionDevelopmentPath
//   --tests        the compiled test entry whose run() the extension host calls (extensionTestsPath)
//   --workspace    folder to open (default: an empty temp folder)
//   --screenshots  where screenshot requests land as NAME.png (default: test-output/vscode-screenshots)
//   --env K=V      put K=V in the extension host's environment (repeatable), like extensionTestsEnv
//   --timeout      seconds for the whole run before it fails (default 300, or STRATA_VSCODE_TIMEOUT)
//   --verbose      also print the workbench's own log lines, not only the extension host's output
// Also accepts VS Code's --extensionDevelopmentPath=, --extensionTestsPath= and a positional folder,
// so @vscode/test-electron's runTests({ vscodeExecutablePath: this file }) can drive it.
//
// For the tests, the extension host gets STRATA_SCREENSHOT_URL, the address of a small HTTP endpoint
// here (test/vscode/support/browser.ts wraps it):
//   POST /screenshot {name}              -> saves page.screenshot() as NAME.png, answers {path}
//   POST /rows {query, atLeast?, containing?, timeoutMs?} -> {rows: [visible text of each match]}
//   POST /html {query, maxChars?}         -> {html: [outerHTML of each match]} (to write selectors)
//   POST /press {key}                     -> presses a key in the page, as a user would (playwright's
//                                            key names: Enter, Escape, Delete, F2), answers {ok}
//   POST /click {query, containing?}      -> clicks the first visible match (whose text contains
//                                            `containing`), as a user would, answers {ok}
//   POST /progress, POST /result          -> running and final counts from test/vscode/support/suite-index.ts
// Ends with the line "N passed, N failed" and exits with the suite's exit code.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { codeServerEntry, chromiumPath, CODE_SERVER_VERSION, root } from './vscode-setup.mjs';

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (msg) => console.log(`vscode-run: ${msg}`);

// Log lines that say nothing about the tests: the marketplace (open-vsx.org) is unreachable here.
const NOISE = [/ENOTFOUND open-vsx\.org/, /open-vsx\.org/i];
// How suite-index.ts marks the extension host's console output (see HOST_OUTPUT_MARK there).
const HOST_OUTPUT_MARK = 'STRATA-HOST| ';

// ---- arguments -------------------------------------------------------------------------------
function usage(msg) {
  if (msg) console.error(`vscode-run: ${msg}`);
  console.error('usage: node scripts/vscode-run.mjs --extension DIR --tests FILE.js [--workspace DIR] [--screenshots DIR] [--env K=V ...] [--timeout SECONDS] [--keep-temp] [--verbose]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { env: {}, ignored: [], timeout: Number(process.env.STRATA_VSCODE_TIMEOUT || 300), keepTemp: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline;
    if (a.startsWith('--') && a.includes('=')) [a, inline] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--extension':
      case '--extensionDevelopmentPath':
        o.extension = value();
        break;
      case '--tests':
      case '--extensionTestsPath':
        o.tests = value();
        break;
      case '--workspace':
        o.workspace = value();
        break;
      case '--screenshots':
        o.screenshots = value();
        break;
      case '--env': {
        const kv = value();
        const eq = kv.indexOf('=');
        if (eq <= 0) usage(`--env wants K=V, got ${kv}`);
        o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '--timeout':
        o.timeout = Number(value());
        if (!(o.timeout > 0)) usage('--timeout wants a number of seconds');
        break;
      case '--keep-temp':
        o.keepTemp = true;
        break;
      case '--verbose':
        o.verbose = true;
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        if (!a.startsWith('-') && !o.workspace) o.workspace = a; // VS Code's positional folder
        else if (a.startsWith('-')) o.ignored.push(`${a}${inline !== undefined ? `=${inline}` : ''}`);
        else usage(`unexpected argument ${a}`);
    }
  }
  if (o.ignored.length) say(`ignoring VS Code flags this runner does not need: ${o.ignored.join(' ')}`);
  if (!o.extension || !o.tests) usage('--extension and --tests are required');
  // test-electron hands over file:// URIs or plain paths; take either.
  const asPath = (p) => resolve(p.startsWith('file://') ? new URL(p).pathname : p);
  o.extension = asPath(o.extension);
  o.tests = asPath(o.tests);
  if (!existsSync(join(o.extension, 'package.json'))) usage(`no package.json in --extension ${o.extension}`);
  if (!existsSync(o.tests)) usage(`--tests ${o.tests} does not exist (build the tests first)`);
  if (o.workspace) {
    o.workspace = asPath(o.workspace);
    if (!existsSync(o.workspace) || !statSync(o.workspace).isDirectory()) usage(`--workspace ${o.workspace} is not a folder`);
  }
  o.screenshots = resolve(o.screenshots ?? join(root, 'test-output/vscode-screenshots'));
  return o;
}

const opts = parseArgs(process.argv.slice(2));
if (!existsSync(codeServerEntry)) {
  console.error(`vscode-run: code-server is not installed (${codeServerEntry}); run: node scripts/vscode-setup.mjs`);
  process.exit(1);
}
if (!existsSync(chromiumPath)) {
  console.error(`vscode-run: ${chromiumPath} is missing; run: node scripts/vscode-setup.mjs`);
  process.exit(1);
}
let playwright;
try {
  playwright = await import('playwright-core');
} catch {
  console.error('vscode-run: playwright-core is not installed (a devDependency): npm install');
  process.exit(1);
}

// ---- temp folders ------------------------------------------------------------------------------
const temp = mkdtempSync(join(tmpdir(), 'strata-vscode-'));
const dirs = {};
for (const d of ['user-data', 'extensions', 'config', 'data', 'cache', 'tmp', 'home', 'browser-profile']) {
  dirs[d] = join(temp, d);
  mkdirSync(dirs[d], { recursive: true });
}
if (!opts.workspace) {
  opts.workspace = join(temp, 'workspace');
  mkdirSync(opts.workspace);
}
mkdirSync(opts.screenshots, { recursive: true });
const xdg = { XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, XDG_CACHE_HOME: dirs.cache, TMPDIR: dirs.tmp };
// A user setting or two so that screenshots show the workbench, not welcome pages.
mkdirSync(join(dirs['user-data'], 'User'), { recursive: true });
writeFileSync(
  join(dirs['user-data'], 'User/settings.json'),
  JSON.stringify(
    {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'telemetry.telemetryLevel': 'off',
      'security.workspace.trust.enabled': false,
      'chat.disableAIFeatures': true,
      'git.openRepositoryInParentFolders': 'never',
    },
    null,
    2,
  ),
);

// ---- state and cleanup ---------------------------------------------------------------------------
let codeServer; // child process (its own process group)
let context; // playwright browser context
let page;
let control; // http server
let result; // what the suite reported through /result
let progress; // the latest running counts and current test from suite-index.ts
let suiteStarted = false; // a marked line from suite-index.ts has come
let finishing = false;

function killCodeServer(signal) {
  if (!codeServer || codeServer.exitCode !== null || codeServer.signalCode !== null) return;
  try {
    process.kill(-codeServer.pid, signal); // the whole group: code-server, extension host, pty host…
  } catch {}
}

async function cleanup(failedRun) {
  if (context) {
    await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    context = undefined;
  }
  if (codeServer && codeServer.exitCode === null && codeServer.signalCode === null) {
    const gone = new Promise((r) => codeServer.once('exit', r));
    killCodeServer('SIGTERM');
    const timer = setTimeout(() => killCodeServer('SIGKILL'), 3000);
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    clearTimeout(timer);
  }
  // Whatever is still in the group (an extension's child processes) goes too.
  if (codeServer) {
    try {
      process.kill(-codeServer.pid, 'SIGKILL');
    } catch {}
  }
  control?.close();
  control?.closeAllConnections?.();
  if (failedRun) {
    // VS Code's own logs (extension host, remote agent, extensions) next to the screenshots.
    const logs = join(opts.screenshots, 'vscode-logs');
    try {
      rmSync(logs, { recursive: true, force: true });
      cpSync(join(dirs['user-data'], 'logs'), logs, { recursive: true });
      say(`VS Code's logs of this run: ${logs}`);
    } catch {}
  }
  if (!opts.keepTemp) rmSync(temp, { recursive: true, force: true });
  else say(`kept temp folder ${temp}`);
}

// Counts for a run that ended abnormally: what the suite reported so far, plus one failure.
function abnormal() {
  if (result) return [result.passed ?? 0, Math.max(1, result.failed ?? 0)];
  return [progress?.passed ?? 0, (progress?.failed ?? 0) + 1];
}

async function finish(code, passed, failed, why) {
  if (finishing) return;
  finishing = true;
  if (why) say(why);
  await cleanup(code !== 0);
  say(`done in ${elapsed()}, exit code ${code}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => finish(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig], ...abnormal(), `stopped by ${sig}`));
}

// ---- control endpoint for the tests ------------------------------------------------------------------
function safeName(name) {
  const s = String(name ?? '').replace(/\.png$/i, '').replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '');
  return s.slice(0, 120) || 'screenshot';
}

async function readRows({ query, atLeast = 0, containing, timeoutMs = 10_000 }) {
  if (typeof query !== 'string' || !query) throw new Error('rows: query (a CSS selector) is required');
  // The text a user sees: only elements with a box inside the viewport; of each, its visible text
  // pieces joined by one space (label and description are separate spans with no space between).
  const collect = (sel) => {
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const shown = (el) => {
      const r = el.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0 || r.bottom <= 0 || r.right <= 0 || r.top >= vh || r.left >= vw) return false;
      return el.checkVisibility ? el.checkVisibility({ visibilityProperty: true, opacityProperty: true }) : true;
    };
    const text = (el) => {
      const parts = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const t = n.nodeValue.replace(/\s+/g, ' ').trim();
        if (!t || n.parentElement.closest('style,script')) continue;
        if (n.parentElement.checkVisibility?.({ visibilityProperty: true, opacityProperty: true }) === false) continue;
        parts.push(t);
      }
      return parts.join(' ');
    };
    return [...document.querySelectorAll(sel)].filter(shown).map(text);
  };
  if (atLeast > 0 || containing) {
    await page
      .waitForFunction(
        ({ sel, atLeast, containing, collectSrc }) => {
          const rows = eval(`(${collectSrc})`)(sel);
          return rows.length >= atLeast && (!containing || rows.some((r) => r.includes(containing)));
        },
        { sel: query, atLeast, containing, collectSrc: collect.toString() },
        { timeout: timeoutMs, polling: 100 },
      )
      .catch(() => {}); // answer with what is there; the test's assertion says what was wrong
  }
  return page.evaluate(({ sel, collectSrc }) => eval(`(${collectSrc})`)(sel), { sel: query, collectSrc: collect.toString() });
}

function startControl() {
  control = createServer((req, res) => {
    const answer = (status, obj) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.method !== 'POST') return answer(405, { error: 'POST only' });
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return answer(400, { error: 'body is not JSON' });
      }
      try {
        if (req.url === '/result') {
          result = body;
          return answer(200, { ok: true });
        }
        if (req.url === '/progress') {
          if (!progress || body.seq > progress.seq) progress = body;
          return answer(200, { ok: true });
        }
        if (!page) return answer(503, { error: 'the browser page is not open yet' });
        if (req.url === '/screenshot') {
          const path = join(opts.screenshots, `${safeName(body.name)}.png`);
          await page.screenshot({ path, animations: 'disabled', caret: 'hide', timeout: 30_000 });
          say(`screenshot ${path}`);
          return answer(200, { path });
        }
        if (req.url === '/rows') return answer(200, { rows: await readRows(body) });
        if (req.url === '/press') {
          // A key as the user presses it (a keybinding, a button of a modal dialog): to where focus is.
          if (typeof body.key !== 'string' || !/^[A-Za-z0-9+]{1,32}$/.test(body.key)) throw new Error('press: key (a playwright key name) is required');
          await page.keyboard.press(body.key);
          return answer(200, { ok: true });
        }
        if (req.url === '/click') {
          if (typeof body.query !== 'string' || !body.query) throw new Error('click: query (a CSS selector) is required');
          let target = page.locator(body.query).filter({ visible: true });
          if (typeof body.containing === 'string') target = target.filter({ hasText: body.containing });
          await target.first().click({ timeout: 10_000 });
          return answer(200, { ok: true });
        }
        if (req.url === '/html') {
          // For writing selectors: the outer HTML of each match (cut at maxChars, default 20000).
          const html = await page.evaluate(
            ({ sel, max }) => [...document.querySelectorAll(sel)].map((el) => el.outerHTML.slice(0, max)),
            { sel: String(body.query), max: Number(body.maxChars ?? 20_000) },
          );
          return answer(200, { html });
        }
        return answer(404, { error: `unknown endpoint ${req.url}` });
      } catch (e) {
        return answer(500, { error: String(e?.message ?? e) });
      }
    });
  });
  return new Promise((r) => control.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${control.address().port}/`)));
}

// ---- code-server ----------------------------------------------------------------------------
function startCodeServer(controlUrl) {
  // Inherit the environment (so a caller's extensionTestsEnv reaches the extension host), minus a
  // surrounding VS Code's own variables, plus the temp folders and the --env pairs.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k.startsWith('npm_')) continue;
    env[k] = v;
  }
  Object.assign(env, xdg, { STRATA_SCREENSHOT_URL: controlUrl }, opts.env);
  const args = [
    codeServerEntry,
    '--bind-addr', '127.0.0.1:0',
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', dirs['user-data'],
    '--extensions-dir', dirs.extensions,
    opts.workspace,
  ];
  codeServer = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: dirs.tmp });
  let out = '';
  return new Promise((resolvePort, reject) => {
    const onData = (chunk) => {
      const text = chunk.toString();
      out += text;
      for (const line of text.split('\n')) {
        if (!line.trim() || NOISE.some((n) => n.test(line))) continue;
        if (opts.verbose) console.log(`[code-server] ${line}`);
      }
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolvePort(Number(m[1]));
    };
    codeServer.stdout.on('data', onData);
    codeServer.stderr.on('data', onData);
    codeServer.on('exit', (code, signal) => {
      reject(new Error(`code-server exited (${signal ?? code}) before it listened:\n${out.trim().split('\n').slice(-30).join('\n')}`));
      if (!finishing) finish(1, ...abnormal(), `code-server exited (${signal ?? code}) during the run`);
    });
  });
}

async function waitHealthy(port) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('code-server /healthz did not answer in 30 s');
}

// ---- the run ----------------------------------------------------------------------------------
const overall = setTimeout(async () => {
  const shot = join(opts.screenshots, 'timeout.png');
  try {
    if (page) await page.screenshot({ path: shot, timeout: 10_000 });
  } catch {}
  const running = !result && progress?.current ? `; running then: "${progress.current}"` : '';
  finish(1, ...abnormal(), `TIMEOUT: the suite did not finish within ${opts.timeout} s${running} (workbench screenshot: ${shot})`);
}, opts.timeout * 1000);

try {
  const controlUrl = await startControl();
  say(`code-server ${CODE_SERVER_VERSION}; extension ${opts.extension}; tests ${opts.tests}; workspace ${opts.workspace}`);
  const port = await startCodeServer(controlUrl);
  await waitHealthy(port);
  say(`code-server listening on 127.0.0.1:${port} (${elapsed()}); control endpoint ${controlUrl}`);

  context = await playwright.chromium.launchPersistentContext(dirs['browser-profile'], {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    env: { ...process.env, ...xdg, HOME: dirs.home },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  let resolveExit;
  const exitCode = new Promise((r) => (resolveExit = r));
  // Both before goto: the workbench looks for them when it starts.
  await context.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
  await context.exposeFunction('codeAutomationLog', (type, args) => {
    const text = Array.isArray(args) ? args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') : String(args);
    if (NOISE.some((n) => n.test(text))) return;
    // The reporter's lines, marked by suite-index.ts. Once they have begun, the other lines are
    // mostly the extension host's console (tests, the extension): print those as they are too.
    if (text.startsWith(HOST_OUTPUT_MARK)) {
      suiteStarted = true;
      const line = text.slice(HOST_OUTPUT_MARK.length);
      if (!line.startsWith('STRATA-VSCODE-COUNT ')) console.log(line);
    } else if (opts.verbose) console.log(`[workbench ${type}] ${text}`);
    else if (suiteStarted) console.log(type === 'info' ? text : `[${type}] ${text}`);
    else if (type === 'error') console.log(`[workbench error] ${text}`);
  });
  page = context.pages()[0] ?? (await context.newPage());
  // The browser's console: with --verbose only, less what the workbench's log already said.
  page.on('console', (msg) => {
    const text = msg.text();
    if (!opts.verbose || text.startsWith('%c') || NOISE.some((n) => n.test(text))) return;
    console.log(`[browser ${msg.type()}] ${text}`);
  });
  page.on('pageerror', (e) => {
    if (opts.verbose) console.log(`[browser pageerror] ${e.message}`);
  });
  page.on('crash', () => finish(1, ...abnormal(), 'the browser page crashed'));

  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(opts.extension)],
    ['extensionTestsPath', remote(opts.tests)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  say(`workbench opened (${elapsed()}); waiting for the suite`);

  const code = await exitCode;
  let passed = result?.passed ?? 0;
  let failed = result?.failed ?? 0;
  let why;
  if (!result) {
    failed = Math.max(failed, 1);
    why = `the suite reported no result (did its run() throw before mocha ran? is it test/vscode/support/suite-index.ts?); extension host exit code ${code}`;
  } else if (code !== 0 && failed === 0) {
    failed = 1;
    why = `the extension host exited ${code} although the suite reported no failure`;
  }
  await finish(code === 0 && failed === 0 ? 0 : code || 1, passed, failed, why);
} catch (e) {
  await finish(1, ...abnormal(), `FAILED: ${e?.stack ?? e}`);
}
