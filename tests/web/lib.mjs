// lib.mjs -- shared helpers of the browser tests (tests/web/*.test.mjs), run by
// tests/integration/web.sh with the stack's addresses in the environment:
// WEB_URL, TCP_URI, BROKER_PORT, ACCOUNTS, WORK, ROOT, AGENT_BIN, COORD_BIN,
// COORD_DB, SCREENSHOTS, OUTREACH_TODAY, WEB_DIR.
//
// Packages come from web/node_modules (ESM ignores NODE_PATH, hence
// createRequire). Chromium is Debian's /usr/bin/chromium; every wait here is
// bounded and only 127.0.0.1 is contacted.
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through tests/integration/web.sh)`);
  return v;
};

const require = createRequire(join(env('WEB_DIR'), 'package.json'));
export const { chromium } = require('playwright-core');
export const mqtt = require('mqtt');

export const DEFAULT_TIMEOUT = 10_000;

/** Headless Chromium, no network features that would reach out. */
export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    timeout: 30_000,
  });
}

/** The password of a provisioned account (ACCOUNTS/secrets/USER.pw). */
export function password(user) {
  return readFileSync(join(env('ACCOUNTS'), 'secrets', `${user}.pw`), 'utf8').trim();
}

// ---- results ------------------------------------------------------------------
let passed = 0;
export function pass(what) {
  passed += 1;
  console.log(`ok ${passed} - ${what}`);
}
export function fail(what) {
  throw new Error(what);
}
export function assertEq(want, got, what) {
  if (want !== got) fail(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  pass(`${what} = ${JSON.stringify(got)}`);
}

// ---- page polling (bounded) ------------------------------------------------------
// Waits until the element matching SELECTOR has attribute ATTR equal to WANT;
// on timeout fails with the last value seen.
export async function expectAttr(page, selector, attr, want, what, timeout = DEFAULT_TIMEOUT) {
  try {
    await page.waitForFunction(([s, a, w]) => {
      const e = document.querySelector(s);
      return !!e && e.getAttribute(a) === w;
    }, [selector, attr, String(want)], { timeout, polling: 50 });
  } catch {
    const got = await page.evaluate(([s, a]) => document.querySelector(s)?.getAttribute(a) ?? null, [selector, attr]);
    fail(`${what || selector}: expected ${attr}=${JSON.stringify(String(want))} within ${timeout} ms, got ${JSON.stringify(got)}`);
  }
  pass(`${what || selector} ${attr}=${want}`);
}

/** data-value of SELECTOR becomes WANT (the raw number, independent of locale). */
export const expectValue = (page, selector, want, what, timeout = DEFAULT_TIMEOUT) =>
  expectAttr(page, selector, 'data-value', want, what, timeout);

/** data-state of SELECTOR becomes WANT. */
export const expectState = (page, selector, want, what, timeout = DEFAULT_TIMEOUT) =>
  expectAttr(page, selector, 'data-state', want, what, timeout);

/** The trimmed textContent of SELECTOR becomes WANT (a string) or matches it (a RegExp). */
export async function expectText(page, selector, want, what, timeout = DEFAULT_TIMEOUT) {
  const isRe = want instanceof RegExp;
  const w = isRe ? [want.source, want.flags] : String(want);
  try {
    await page.waitForFunction(([s, w2, re]) => {
      const txt = document.querySelector(s)?.textContent?.trim();
      if (txt === undefined) return false;
      return re ? new RegExp(w2[0], w2[1]).test(txt) : txt === w2;
    }, [selector, w, isRe], { timeout, polling: 50 });
  } catch {
    const got = await page.evaluate((s) => document.querySelector(s)?.textContent?.trim() ?? null, selector);
    fail(`${what || selector}: expected text ${want} within ${timeout} ms, got ${JSON.stringify(got)}`);
  }
  pass(`${what || selector} text ${isRe ? 'matches' : '='} ${want}`);
}

/** Reads an attribute now (no waiting). */
export const attr = (page, selector, name) =>
  page.evaluate(([s, a]) => document.querySelector(s)?.getAttribute(a) ?? null, [selector, name]);

// ---- field agent ---------------------------------------------------------------
/** Runs `outreach-agent --config WORK/agents/AGENT.conf ARGS...` (bounded). */
export function runAgent(args, agent = 'team-01', timeoutMs = 30_000) {
  const conf = join(env('WORK'), 'agents', `${agent}.conf`);
  return new Promise((resolve, reject) => {
    execFile(env('AGENT_BIN'), ['--config', conf, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`outreach-agent ${args.join(' ')} failed (${err.code ?? err.signal}): ${stderr || stdout}`));
      else resolve(stdout);
    });
  });
}
/** Shorthand: `report KIND ...` as agent team-01. */
export const report = (kind, ...args) => runAgent(['report', kind, ...args]);

// ---- MQTT from Node ----------------------------------------------------------------
/** Connects to the TCP listener as USER (bounded); resolves with the mqtt.js client. */
export function mqttConnect(user, timeoutMs = DEFAULT_TIMEOUT) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(env('TCP_URI').replace(/^tcp:/, 'mqtt:'), {
      username: user, password: password(user), reconnectPeriod: 0, connectTimeout: timeoutMs,
      clientId: `${user}.webtest-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    });
    const timer = setTimeout(() => { c.end(true); reject(new Error(`mqtt connect as ${user}: timed out`)); }, timeoutMs);
    c.once('connect', () => { clearTimeout(timer); resolve(c); });
    c.once('error', (e) => { clearTimeout(timer); c.end(true); reject(e); });
  });
}

/** Awaits PROMISE, failing after MS milliseconds (for things without their own bound). */
export async function within(ms, what, promise) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms); });
  try { return await Promise.race([promise, t]); } finally { clearTimeout(timer); }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls FN (bounded) until it returns a truthy value, which it returns. */
export async function until(what, fn, timeout = DEFAULT_TIMEOUT) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) fail(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(50); // poll interval
  }
}

/** A browser context with OPTIONS that reaches only 127.0.0.1, every action bounded. */
export async function localContext(browser, options) {
  const ctx = await browser.newContext(options);
  ctx.setDefaultTimeout(15_000);
  await ctx.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  return ctx;
}

/** Runs MAIN (bounded), prints the verdict and exits 0 or 1. */
export async function runTest(name, main, ms = 200_000) {
  try {
    await within(ms, name, main());
    console.log(`${name}: all checks passed`);
    process.exit(0);
  } catch (e) {
    console.error(`FAIL: ${e.message}`);
    process.exit(1);
  }
}
