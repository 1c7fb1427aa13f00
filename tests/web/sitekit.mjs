// sitekit.mjs -- what the site app's page tests share: the environment they
// need, a time limit for the whole script, counted checks, a bounded wait
// for a selector's text to match, and a phone's page that collects errors.
import { pass, fail } from './lib.mjs';

// phonePage(browser, { ignore, problems, tag }): a new browser context the
// size of a phone (390 x 844, touch, zh-CN) and its page. Page errors, and
// console errors unless ignore is null or matches them, are pushed to
// problems (a new array unless given), each after tag.
export async function phonePage(browser, { ignore = null, problems = [], tag = '' } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
    isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const page = await ctx.newPage();
  if (ignore) page.on('console', (m) => { if (m.type() === 'error' && !ignore.test(m.text())) problems.push(tag + m.text()); });
  page.on('pageerror', (e) => problems.push(tag + String(e)));
  return { ctx, page, problems };
}

// siteTest(NAME, [ENV...], LIMIT_MS, WAIT_MS): fails at once when an ENV is
// unset, and ends the process when the script runs over LIMIT_MS.
export function siteTest(name, need, limitMs, waitMs) {
  const env = process.env;
  for (const k of need) {
    if (!env[k]) { console.error(`FAIL: ${k} is not set (run ${name} through its tests/integration/*.sh)`); process.exit(1); }
  }
  const guard = setTimeout(() => {
    console.error(`FAIL: ${name} ran over ${limitMs / 1000} s`);
    process.exit(1);
  }, limitMs);
  guard.unref();
  let n = 0;
  const ok = (cond, what) => { if (!cond) fail(what); n++; pass(what); };
  const text = (page, sel) => page.locator(sel).first().textContent({ timeout: waitMs });
  // Waits (up to WAIT_MS) until the first element of sel has text matching re.
  async function waitText(page, sel, re, what) {
    try {
      await page.waitForFunction(([s, src]) => new RegExp(src).test(document.querySelector(s)?.textContent ?? ''),
        [sel, re.source], { timeout: waitMs, polling: 50 });
    } catch {
      throw new Error(`${what}: ${sel} never matched ${re}, last ${JSON.stringify(await text(page, sel).catch(() => null))}`);
    }
    ok(true, what);
  }
  return { env, WAIT: waitMs, ok, text, waitText, checks: () => n };
}
