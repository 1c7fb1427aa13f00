// volunteer.test.mjs -- the volunteer sign-up page (web/www/volunteer.html)
// end to end in headless Chromium against the real broker and coordinator
// that tests/integration/web.sh started: sign in, profile, register
// (confirmed, then a second volunteer wait-listed), cancel, the promotion
// notice arriving live on the other volunteer's page, a refused request, the
// language switch, a refused sign-in; screenshots in $SCREENSHOTS.
// Plain Node ESM; exits non-zero on the first failed check. Every wait is
// bounded (10 s), and the whole run by a 200 s guard.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
for (const k of ['WEB_URL', 'TCP_URI', 'ACCOUNTS', 'AGENT_BIN', 'COORD_BIN', 'SCREENSHOTS', 'WEB_DIR']) {
  if (!env[k]) { console.error(`FAIL: ${k} is not set (run through tests/integration/web.sh)`); process.exit(1); }
}
const require = createRequire(join(env.WEB_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const WAIT = 10000;
const TODAY = env.OUTREACH_TODAY || '2026-11-22';
const TRIP = '2026-web-vol';
const PAGE = `${env.WEB_URL.replace(/\/?$/, '/')}volunteer.html?today=${TODAY}`;
const PHONE_1 = '13800000001';
const PHONE_2 = '13900000002';
const secretFile = (u) => join(env.ACCOUNTS, 'secrets', `${u}.pw`);
const password = (u) => readFileSync(secretFile(u), 'utf8').trim();

const guard = setTimeout(() => { console.error('FAIL: volunteer.test.mjs ran over 200 s'); process.exit(1); }, 200000);
guard.unref();

let checks = 0;
function ok(cond, what) {
  if (!cond) throw new Error(what);
  checks++;
  console.log(`ok ${checks} - ${what}`);
}

// Runs a CLI (bounded); returns { status, stdout, stderr }.
function cli(bin, args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 20000 });
  if (r.error) throw new Error(`${bin} ${args[0]}: ${r.error.message}`);
  return r;
}
const volArgs = (u) => ['--volunteer-id', u, '--password-file', secretFile(u), '--broker', env.TCP_URI];

const tid = (id) => `[data-testid="${id}"]`;

// Waits (bounded) until the data-testid element's attribute equals want; the
// failure names the value last seen.
async function waitAttr(page, id, name, want, what) {
  try {
    await page.waitForFunction(([sel, n, w]) => {
      const e = document.querySelector(sel);
      return e !== null && e.getAttribute(n) === w;
    }, [tid(id), name, String(want)], { timeout: WAIT, polling: 100 });
  } catch {
    const got = await page.locator(tid(id)).first().getAttribute(name, { timeout: 500 }).catch(() => '(no element)');
    const err = await page.locator(tid('error')).textContent({ timeout: 500 }).catch(() => '');
    throw new Error(`${what}: ${id} ${name} expected ${want}, got ${got}${err ? ` (page error box: ${err})` : ''}`);
  }
  ok(true, what);
}
const text = (page, id) => page.locator(tid(id)).first().innerText({ timeout: WAIT });

async function newPage(browser, opts, problems, label) {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...opts });
  ctx.setDefaultTimeout(WAIT);
  // Nothing but the test broker: any other address is a failure.
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1') return route.continue();
    problems.push(`${label}: request to ${u.href}`);
    return route.abort();
  });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${label}: console: ${m.text()}`); });
  return page;
}

async function signIn(page, user, pass) {
  await page.goto(PAGE, { waitUntil: 'load', timeout: WAIT });
  await page.fill(tid('signin-user'), user);
  await page.fill(tid('signin-pass'), pass);
  await page.click(tid('signin-submit'));
}

const started = Date.now();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
  timeout: WAIT,
});
let failed = false;
try {
  mkdirSync(env.SCREENSHOTS, { recursive: true });
  const problems = [];

  // A trip with one doctor's place, through the coordinator's admin request.
  const made = cli(env.COORD_BIN, ['trip', 'create', '--id', TRIP, '--title', '义诊 桑植县 上河溪', '--date', '2026-12-10',
    '--site-code', 'sz-shx-01', '--site-name', '上河溪村卫生室', '--county', 'sangzhi', '--county-name', '桑植县',
    '--township', '上河溪乡', '--poor-village', '--mode', 'upper_help', '--activities', 'clinic,health',
    '--departments', 'internal,pediatrics', '--capacity', 'doctor=1',
    '--broker', env.TCP_URI, '--password-file', secretFile('admin')]);
  ok(made.status === 0, `trip ${TRIP} created (doctor 1 place): ${made.stdout.trim()}${made.stderr.trim()}`);

  // ---- vol-01 on a desktop browser, Chinese by default
  const a = await newPage(browser, { viewport: { width: 1280, height: 900 } }, problems, 'vol-01');
  await signIn(a, 'vol-01', password('vol-01'));
  ok(await a.evaluate(() => document.documentElement.lang) === 'zh-CN', 'the page is Chinese (zh-CN) by default');
  await waitAttr(a, 'conn-state', 'data-state', 'online', 'vol-01 signed in (MQTT 5 over WebSockets)');
  ok((await text(a, 'conn-state')).includes('已连接'), 'the connection state reads 已连接');
  await waitAttr(a, 'coord-state', 'data-state', 'online', "the page read the coordinator's retained status: online");

  // A newcomer (no registrations yet) finds the profile form open.
  await waitAttr(a, 'mine', 'data-loaded', 'true', "the page listed vol-01's registrations (registrations.list)");
  // The page may open the form itself a moment later: a click now could close
  // it again, so the form is opened directly (as the user's click would).
  await a.locator('#profile-details').evaluate((d) => { d.open = true; });
  await a.locator(tid('profile-name')).waitFor({ state: 'visible', timeout: 10000 });

  await a.fill(tid('profile-name'), '王医生');
  await a.fill(tid('profile-phone'), PHONE_1);
  await a.fill(tid('profile-org'), '桑植县人民医院');
  await a.check(tid('profile-role-doctor'));
  await a.click(tid('profile-save'));
  await waitAttr(a, 'profile', 'data-saved', 'true', 'vol-01 saved a profile (roles: doctor)');
  ok((await text(a, 'flash')).includes('医生'), 'the page confirms the profile with its roles');
  const stored = await a.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  ok(!(await a.evaluate(() => document.body.innerText)).includes(PHONE_1) && !stored.includes(PHONE_1) &&
    !(await a.content()).includes(PHONE_1), 'the phone number is neither shown, stored nor in the HTML');

  await a.waitForSelector(tid(`trip-${TRIP}`), { timeout: WAIT });
  await waitAttr(a, `places-${TRIP}-doctor`, 'data-open', '1', `trip ${TRIP} shows 1 open doctor place`);
  ok(await a.locator(tid('trip-2026-web-002')).count() === 1, 'the upcoming trip 2026-web-002 is listed');
  ok(await a.locator(tid('trip-2026-web-003')).count() === 0, 'the completed trip 2026-web-003 is not listed');
  ok((await text(a, 'places-2026-web-002-nurse')).includes('空缺 2 / 共 2'), '2026-web-002 shows its 2 nurse places');

  await a.click(tid(`register-${TRIP}-doctor`));
  await waitAttr(a, `reg-${TRIP}`, 'data-state', 'confirmed', 'vol-01 registered: my registrations show confirmed');
  ok((await text(a, `reg-${TRIP}`)).includes('已确认'), 'the registration reads 已确认');
  await waitAttr(a, `places-${TRIP}-doctor`, 'data-open', '0', 'the retained trip card updated live: open 0');
  await waitAttr(a, `places-${TRIP}-doctor`, 'data-confirmed', '1', 'the card counts 1 confirmed doctor');
  const list1 = cli(env.AGENT_BIN, ['volunteer', 'list', ...volArgs('vol-01'), '--json']);
  const reg1 = (JSON.parse(list1.stdout || '{}').registrations || []).find((r) => r.trip_id === TRIP);
  ok(list1.status === 0 && reg1 && reg1.state === 'confirmed', 'the CLI lists the same confirmed place for vol-01');

  // ---- vol-02: profile with the CLI, then its page on a phone (auto sign-in from the URL fragment)
  const prof = cli(env.AGENT_BIN, ['volunteer', 'profile', ...volArgs('vol-02'), '--name', '李护士长',
    '--phone', PHONE_2, '--roles', 'doctor,nurse']);
  ok(prof.status === 0, `vol-02's profile set with the CLI: ${prof.stdout.trim()}`);
  const b = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
    problems, 'vol-02');
  await b.goto(`${PAGE}#u=vol-02&p=${encodeURIComponent(password('vol-02'))}`, { waitUntil: 'load', timeout: WAIT });
  await waitAttr(b, 'conn-state', 'data-state', 'online', 'vol-02 signed in from the #u=&p= fragment');
  ok(await b.evaluate(() => location.hash) === '', 'the password fragment is gone from the address');
  await waitAttr(b, `places-${TRIP}-doctor`, 'data-open', '0', "vol-02's page shows no doctor place left");
  ok((await text(b, `register-${TRIP}-doctor`)).includes('候补'), 'the full role offers the wait-list (候补)');
  await b.click(tid(`register-${TRIP}-doctor`));
  await waitAttr(b, `reg-${TRIP}`, 'data-state', 'waitlisted', 'vol-02 registered: wait-listed');
  await waitAttr(b, `reg-${TRIP}`, 'data-position', '1', 'vol-02 is wait-listed at position 1');
  ok((await text(b, 'flash')).includes('第 1 位'), 'the page says 第 1 位');
  await waitAttr(b, `places-${TRIP}-doctor`, 'data-waitlisted', '1', 'the card counts 1 wait-listed doctor');
  const list2 = cli(env.AGENT_BIN, ['volunteer', 'list', ...volArgs('vol-02'), '--json']);
  const reg2 = (JSON.parse(list2.stdout || '{}').registrations || []).find((r) => r.trip_id === TRIP);
  ok(list2.status === 0 && reg2 && reg2.state === 'waitlisted' && reg2.position === 1,
    'the CLI lists vol-02 wait-listed at position 1');

  // ---- vol-01 cancels; vol-02's open page gets the promotion without a reload
  await b.evaluate(() => { window.__sameDocument = true; });
  await a.click(tid(`cancel-${TRIP}`));
  await waitAttr(a, `cancel-${TRIP}`, 'data-armed', 'true', 'cancelling asks for a second tap');
  const cancelAt = Date.now();
  await a.click(tid(`cancel-${TRIP}`));
  await waitAttr(a, `reg-${TRIP}`, 'data-state', 'cancelled', "vol-01's registration shows cancelled");
  try {
    await b.waitForSelector(`${tid('notice')}[data-kind="promoted"][data-trip="${TRIP}"]`, { timeout: WAIT });
  } catch { throw new Error("no promotion notice on vol-02's page within 10 s"); }
  const noticeMs = Date.now() - cancelAt;
  ok(noticeMs < 5000, `vol-02's page shows the promotion notice ${noticeMs} ms after the cancel`);
  ok((await text(b, 'notice')).includes('转为正式'), 'the notice reads 已从候补转为正式名额');
  await waitAttr(b, `reg-${TRIP}`, 'data-state', 'confirmed', "vol-02's registration became confirmed");
  ok(await b.evaluate(() => window.__sameDocument === true), 'without a reload');
  ok(await b.locator(tid('flash')).isHidden(), 'the stale "wait-listed" message is gone');
  await waitAttr(b, `places-${TRIP}-doctor`, 'data-waitlisted', '0', 'the card: nobody waiting any more');
  await b.evaluate(() => window.scrollTo(0, 0));
  await b.screenshot({ path: join(env.SCREENSHOTS, 'volunteer-phone.png') });
  ok(true, 'screenshot volunteer-phone.png (390×844)');

  // ---- a refused request: a role the profile does not list
  await a.click(tid('register-2026-web-002-nurse'));
  await waitAttr(a, 'error', 'data-code', 'role_not_in_profile', 'registering as a nurse is refused: role_not_in_profile');
  ok((await text(a, 'error')).includes('role_not_in_profile'), 'the error shows the code');
  const listed = cli(env.AGENT_BIN, ['volunteer', 'list', ...volArgs('vol-01'), '--json']);
  const regs = JSON.parse(listed.stdout || '{}').registrations || [];
  ok(!regs.some((r) => r.trip_id === '2026-web-002'), 'and no registration was made (the CLI list agrees)');
  await a.evaluate(() => window.scrollTo(0, 0));
  await a.screenshot({ path: join(env.SCREENSHOTS, 'volunteer-zh.png'), fullPage: true });
  ok(true, 'screenshot volunteer-zh.png');

  // ---- English
  await a.click(tid('lang-switch'));
  ok(await a.evaluate(() => document.documentElement.lang) === 'en', 'the language switch sets lang=en');
  ok((await a.locator('h1').innerText()).includes('Volunteer sign-up'), 'the title is in English');
  ok((await text(a, `reg-${TRIP}`)).includes('Cancelled'), 'my registrations are in English');
  ok((await text(a, 'error')).includes('Refused (role_not_in_profile)'), 'the error is in English too');
  ok((await text(a, `places-${TRIP}-doctor`)).includes('0 open of 1'), 'places read "0 open of 1"');
  await a.screenshot({ path: join(env.SCREENSHOTS, 'volunteer-en.png'), fullPage: true });
  ok(true, 'screenshot volunteer-en.png');

  // ---- a notice sent while vol-02 is away waits in its session (clean start
  // off, 7-day expiry) and shows when the page signs in again
  await b.context().close();
  const cancelled = cli(env.COORD_BIN, ['trip', 'cancel', TRIP, '--reason', '道路塌方',
    '--broker', env.TCP_URI, '--password-file', secretFile('admin')]);
  ok(cancelled.status === 0, `trip ${TRIP} cancelled while vol-02's page is closed`);
  const b2 = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, problems, 'vol-02 again');
  await b2.goto(`${PAGE}#u=vol-02&p=${encodeURIComponent(password('vol-02'))}`, { waitUntil: 'load', timeout: WAIT });
  try {
    await b2.waitForSelector(`${tid('notice')}[data-kind="trip_cancelled"][data-trip="${TRIP}"]`, { timeout: WAIT });
  } catch { throw new Error('the trip_cancelled notice sent while away did not show'); }
  ok((await text(b2, 'notice')).includes('行程已取消'), 'the notice sent while away shows on the next sign-in');
  await waitAttr(b2, `reg-${TRIP}`, 'data-state', 'trip_cancelled', 'and the registration reads trip cancelled');
  ok(await b2.locator(tid(`trip-${TRIP}`)).count() === 0, 'the cancelled trip left the open trips');
  await b2.context().close();

  await a.reload({ waitUntil: 'load', timeout: WAIT });
  ok((await text(a, 'signin-submit')) === 'Sign in', 'the choice of English survives a reload (localStorage)');
  await a.click(tid('lang-switch'));
  ok((await text(a, 'signin-submit')) === '登录', 'and switches back to Chinese');

  // ---- a refused sign-in
  const c = await newPage(browser, { viewport: { width: 390, height: 844 } }, problems, 'vol-03');
  await signIn(c, 'vol-03', 'not-the-password');
  await waitAttr(c, 'conn-state', 'data-state', 'auth', 'a wrong password is refused');
  ok((await text(c, 'error')).includes('编号或密码不正确'), 'the page says the ID or password is wrong');
  ok(await c.locator(tid('signin-submit')).isVisible(), 'and offers the sign-in form again');

  ok(problems.length === 0, `no page errors, console errors or outside requests${problems.length ? ': ' + problems.join('; ') : ''}`);
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.message}`);
} finally {
  await browser.close().catch(() => {});
}
console.log(`volunteer.test.mjs: ${checks} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s${failed ? ', then a failure' : ''}`);
process.exit(failed ? 1 : 0);
