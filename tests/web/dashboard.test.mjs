// dashboard.test.mjs -- the live dashboard (web/www/index.html) end to end, in
// headless Chromium against the stack tests/integration/web.sh starts: trips
// 2026-web-001 (today, cili; team-01's daemon online on it), 2026-web-002
// (2026-12-05, sangzhi, doctor 4 nurse 2), 2026-web-003 (completed, xiuwu;
// team-02 offline), no reports yet. Exits non-zero on the first failure.
//
// Asserts exact figures through data-value (raw numbers, not locale text):
// live updates without reload after field-agent reports, expected / projected
// / pace as the formula and the retained JSON say, county row, trip card,
// agents online/offline, that the dashboard account cannot publish, the
// language switch, the connection indicator, no horizontal overflow on a
// phone; saves dashboard-zh.png, dashboard-en.png, dashboard-phone.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  launch, env, password, pass, fail, assertEq, expectAttr, expectValue, expectState, expectText, attr,
  report, mqttConnect, within, until,
} from './lib.mjs';

const WEB_URL = env('WEB_URL');
const ROOT = env('ROOT');
const TODAY = env('OUTREACH_TODAY');
const SHOTS = env('SCREENSHOTS');
const YEAR = Number(TODAY.slice(0, 4));
const tid = (id) => `[data-testid="${id}"]`;

// Day of the year of OUTREACH_TODAY (2026-11-22: 326 of 365).
const DIY = (YEAR % 4 === 0 && YEAR % 100 !== 0) || YEAR % 400 === 0 ? 366 : 365;
const DAY = (Date.UTC(YEAR, Number(TODAY.slice(5, 7)) - 1, Number(TODAY.slice(8, 10))) - Date.UTC(YEAR, 0, 1)) / 86400000 + 1;
// The contract's figures (docs/protocol.md, common/progress.c).
const expected = (target) => Math.round((target * DAY) / DIY);
const projected = (count) => Math.floor((count * DIY) / DAY);
function pace(count, target) {
  const tol = Math.max(1, Math.floor(target / 100));
  const diff = count - expected(target);
  return diff > tol ? 'ahead' : diff < -tol ? 'behind' : 'on_pace';
}

// A subscriber in Node, as the coordinator account (reads everything under
// ROOT): keeps the newest message per topic and every payload seen.
async function watch() {
  const c = await mqttConnect('coordinator');
  const latest = new Map();
  const seen = [];
  c.on('message', (topic, payload) => {
    const s = payload.toString();
    seen.push({ topic, s });
    try { latest.set(topic, JSON.parse(s)); } catch { latest.set(topic, s); }
  });
  await within(5000, 'subscribe', c.subscribeAsync(`${ROOT}/#`, { qos: 1 }));
  return { c, latest, seen };
}

async function checkTargets(page, watcher, consultations, staff, what) {
  for (const [m, count, target] of [['consultations', consultations, 50000], ['staff', staff, 500]]) {
    await expectValue(page, tid(`${m}-count`), count, `${m} count ${what}`);
    await expectValue(page, tid(`${m}-target`), target, `${m} target`);
    await expectValue(page, tid(`${m}-expected`), expected(target), `${m} expected by day ${DAY}/${DIY}`);
    await expectValue(page, tid(`${m}-projected`), projected(count), `${m} projected ${what}`);
    await expectValue(page, tid(`${m}-pace`), pace(count, target), `${m} pace ${what}`);
    // The same figures as the coordinator's retained JSON.
    const json = watcher.latest.get(`${ROOT}/progress/${YEAR}`)?.[m];
    if (!json) fail(`no retained ${ROOT}/progress/${YEAR} seen`);
    for (const [k, id] of [['count', 'count'], ['expected_to_date', 'expected'], ['projected_year_end', 'projected'], ['pace', 'pace']]) {
      assertEq(String(json[k]), await attr(page, tid(`${m}-${id}`), 'data-value'), `${m}.${k} on the page = retained JSON`);
    }
  }
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const watcher = await watch();
  const browser = await launch();
  const errors = [];
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    ctx.setDefaultTimeout(15_000); // every Playwright action and navigation is bounded
    // Only the test broker: anything else is refused.
    await ctx.route('**/*', (route) => {
      const u = new URL(route.request().url());
      return u.hostname === '127.0.0.1' ? route.continue() : route.abort();
    });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });

    // ---- sign in through the URL fragment ---------------------------------
    await page.goto(`${WEB_URL}#u=dashboard&p=${encodeURIComponent(password('dashboard'))}`);
    await expectState(page, tid('conn-state'), 'connected', 'connection indicator');
    assertEq('', await page.evaluate(() => location.hash), 'password removed from the address bar');
    await expectState(page, tid('coordinator-state'), 'online', 'coordinator status');
    await expectText(page, tid('title'), '义诊进度看板', 'Chinese by default');

    // ---- retained state before any report ------------------------------------
    await until('retained progress in the watcher', () => watcher.latest.get(`${ROOT}/progress/${YEAR}`));
    await checkTargets(page, watcher, 0, 0, 'before reports');
    assertEq(44658, expected(50000), 'formula: consultations expected on 2026-11-22 (day 326/365)');
    assertEq(447, expected(500), 'formula: staff expected on 2026-11-22');
    assertEq(String(YEAR), await page.$eval(tid('year-select'), (s) => s.value), 'year selector shows OUTREACH_TODAY\'s year');

    // Trips grouped around today, with places open per role.
    await expectAttr(page, tid('trip-2026-web-001'), 'data-group', 'in_progress', 'trip 2026-web-001 (today)');
    await expectAttr(page, tid('trip-2026-web-002'), 'data-group', 'upcoming', 'trip 2026-web-002 (2026-12-05)');
    await expectAttr(page, tid('trip-2026-web-003'), 'data-group', 'completed', 'trip 2026-web-003 (completed)');
    await expectAttr(page, `${tid('trip-2026-web-002')} [data-role="doctor"]`, 'data-open', 4, 'web-002 doctor places open');
    await expectAttr(page, `${tid('trip-2026-web-002')} [data-role="doctor"]`, 'data-capacity', 4, 'web-002 doctor capacity');
    await expectAttr(page, `${tid('trip-2026-web-002')} [data-role="nurse"]`, 'data-open', 2, 'web-002 nurse places open');
    await expectValue(page, `${tid('trip-2026-web-001')} [data-field="registered"]`, 0, 'web-001 registered');
    await expectValue(page, `${tid('trip-2026-web-001')} [data-field="checkins"]`, 0, 'web-001 checked in');

    // Agents: team-01's daemon is online, team-02 stopped.
    await expectState(page, tid('agent-team-01'), 'online', 'agent team-01');
    await expectState(page, tid('agent-team-02'), 'offline', 'agent team-02');
    await expectValue(page, `${tid('agent-team-01')} [data-field="pending"]`, 0, 'team-01 pending');

    // ---- live: a field agent's headcount reaches the page without reload ---------
    const marker = await page.evaluate(() => (window.__noReload = Math.random()));
    const t0 = Date.now();
    const shown = expectValue(page, tid('consultations-count'), 120, 'consultations after a headcount of 120', 10_000)
      .then(() => Date.now());
    await report('headcount', '--department', 'internal', '--consultations', '120');
    const tAccepted = Date.now();
    const tShown = await shown;
    console.log(`# headcount: accepted after ${tAccepted - t0} ms, on the page ${tShown - t0} ms after the report started (${tShown - tAccepted} ms after it was accepted)`);
    if (tShown - tAccepted > 1500) fail(`the page took ${tShown - tAccepted} ms after the report was accepted`);
    pass('on the page within 1.5 s of the accepted report');
    assertEq(marker, await page.evaluate(() => window.__noReload), 'no reload');
    await until('watcher sees count 120', () => watcher.latest.get(`${ROOT}/progress/${YEAR}`)?.consultations?.count === 120);
    await checkTargets(page, watcher, 120, 0, 'after 120');
    assertEq(134, projected(120), 'formula: projected year-end for 120 on day 326');
    await expectValue(page, `${tid('county-row-cili')} [data-col="consultations"]`, 120, 'county cili consultations');
    await expectValue(page, `${tid('county-row-sangzhi')} [data-col="consultations"]`, 0, 'county sangzhi consultations');
    await expectValue(page, `${tid('county-row-cili')} [data-col="trips_planned"]`, 1, 'county cili trips planned');
    await expectValue(page, `${tid('county-row-xiuwu')} [data-col="trips_completed"]`, 1, 'county xiuwu trips completed');
    await expectValue(page, `${tid('trip-2026-web-001')} [data-field="consultations"]`, 120, 'trip web-001 consultations');
    await until('chart shows 120 in the week holding today', () =>
      page.$eval(tid('chart-consultations'), (c) => c.dataset.last === '120'));
    pass('consultations chart: cumulative 120 in the last week');
    const paceLine = await page.evaluate(() => window.dashboard.charts.consultations.data.datasets[1].data);
    assertEq(JSON.stringify([{ x: 0, y: 0 }, { x: DIY, y: 50000 }]), JSON.stringify(paceLine), 'consultations chart pace line');

    // ---- staff: a doctor's check-in counts, a support check-in does not ----------
    await report('checkin', '--staff-id', 'doc-li', '--role', 'doctor');
    await expectValue(page, tid('staff-count'), 1, 'staff after a doctor checks in');
    await expectValue(page, `${tid('trip-2026-web-001')} [data-field="checkins"]`, 1, 'web-001 checked in after the doctor');
    await report('checkin', '--staff-id', 'sup-wang', '--role', 'support');
    // The coordinator publishes the year's progress before the trip's (one
    // connection, QoS 1, in order), so once the page shows 2 check-ins it has
    // the year's figures that followed the support check-in.
    await expectValue(page, `${tid('trip-2026-web-001')} [data-field="checkins"]`, 2, 'web-001 checked in after support');
    assertEq('1', await attr(page, tid('staff-count'), 'data-value'), 'staff unchanged by a support check-in');
    assertEq('1', await attr(page, `${tid('trip-2026-web-001')} [data-field="staff"]`, 'data-value'), 'trip staff unchanged by support');
    await until('watcher sees staff 1', () => watcher.latest.get(`${ROOT}/progress/${YEAR}`)?.staff?.count === 1);
    await checkTargets(page, watcher, 120, 1, 'after check-ins');
    await expectValue(page, `${tid('agent-team-01')} [data-field="last_seq"]`, 3, 'team-01 last seq after 3 reports');

    // ---- medicine: fen on the wire, yuan with 2 decimals on the page ---------------
    await report('dispense', '--medicine', '布洛芬', '--quantity', '40', '--unit', 'bottle', '--value', '480.50');
    await expectValue(page, tid('medicine-value'), 48050, 'medicine value in fen after a dispense of 480.50 CNY');
    await expectValue(page, `${tid('county-row-cili')} [data-col="medicine"]`, 48050, 'county cili medicine in fen');
    const tileText = await page.$eval(tid('medicine-value'), (e) => e.textContent);
    if (!tileText.includes('480.50')) fail(`the medicine tile shows "${tileText}", not 480.50 yuan`);
    pass('the medicine tile shows 480.50 yuan');
    const cellText = await page.$eval(`${tid('county-row-cili')} [data-col="medicine"]`, (e) => e.textContent);
    assertEq('480.50', cellText.trim(), 'the county table shows medicine in yuan');

    // ---- counties sort by clicking a header -----------------------------------------
    const firstCounty = () => page.$eval('#county-body tr', (r) => r.dataset.county);
    assertEq('cili', await firstCounty(), 'counties sorted by consultations, most first');
    await page.click(tid('sort-consultations'));
    await until('ascending sort', async () => (await attr(page, 'th[data-sort="consultations"]', 'aria-sort')) === 'ascending');
    assertEq('cili', await page.$eval('#county-body tr:last-child', (r) => r.dataset.county), 'ascending: cili last');
    await page.click(tid('sort-consultations'));
    await until('descending sort', async () => (await attr(page, 'th[data-sort="consultations"]', 'aria-sort')) === 'descending');

    // ---- no personal data rendered, even if a message carried some --------------------
    // Not retained (the coordinator does not read trips/#): only this page sees it.
    const pii = { name: '张三丰', phone: '13800138000' };
    const card = {
      trip_id: '2026-web-pii', title: '隐私检查', date: '2026-12-20', status: 'planned', mode: 'upper_help',
      activities: ['clinic'], departments: [], capacity: { doctor: 1 }, ...pii,
      site: { code: 'site-pii', name: '卫生院', county: 'cili', county_name: '慈利县', phone: '13900139000' },
      roles: { doctor: { capacity: 1, confirmed: 1, waitlisted: 0, open: 0, ...pii } },
    };
    await watcher.c.publishAsync(`${ROOT}/trips/2026-web-pii`, JSON.stringify(card), { qos: 1 });
    await until('the test trip card', () => page.$(tid('trip-2026-web-pii')));
    const body = await page.evaluate(() => document.body.innerText);
    for (const s of ['张三丰', '13800138000', '13900139000']) {
      if (body.includes(s)) fail(`the page shows personal data ${s}`);
    }
    if (!body.includes('卫生院')) fail('the site name is not shown');
    pass('name and phone fields never rendered (site name is)');
    await watcher.c.publishAsync(`${ROOT}/trips/2026-web-pii`, '', { qos: 1 }); // gone again
    await until('the test trip card removed', async () => !(await page.$(tid('trip-2026-web-pii'))));

    // ---- the dashboard account is read-only -----------------------------------------
    const sentinel = `web-sentinel-${process.pid}-${Date.now()}`;
    await within(5000, 'page publishes', page.evaluate(([root, year, s]) => new Promise((resolve) => {
      const c = window.dashboard.client;
      let n = 0;
      const done = () => { n += 1; if (n === 2) resolve(); };
      c.publish(`${root}/admin/requests`, JSON.stringify({ request_id: s, op: 'trip.cancel', trip_id: '2026-web-002' }), { qos: 1 }, done);
      c.publish(`${root}/progress/${year}`, JSON.stringify({ sentinel: s }), { qos: 1, retain: true }, done);
    }), [ROOT, YEAR, sentinel]));
    const control = `web-control-${process.pid}-${Date.now()}`;
    await watcher.c.publishAsync(`${ROOT}/test/web-control`, control, { qos: 1 });
    await until('the coordinator account\'s own publish', () => watcher.seen.some((m) => m.s === control), 5000);
    pass('the subscriber receives a publish of the coordinator account');
    // A barrier, not a wait: the broker had answered both publishes of the
    // dashboard account (their PUBACKs resolved the page's promise) before the
    // control message was published, and Mosquitto queues messages to one
    // subscriber in the order it handles them; so had a sentinel been routed,
    // it would have reached the watcher before the control did.
    if (watcher.seen.some((m) => m.s.includes(sentinel))) fail('a publish of the dashboard account got through');
    pass('no publish of the dashboard account got through (checked behind the control message)');
    assertEq('upcoming', await attr(page, tid('trip-2026-web-002'), 'data-group'), 'trip 2026-web-002 not cancelled');
    assertEq('120', await attr(page, tid('consultations-count'), 'data-value'), 'retained progress intact');

    // ---- language: zh-CN default, English on the switch, remembered -------------------
    const tripDate = () => page.$eval(`${tid('trip-2026-web-001')} .when`, (e) => e.textContent);
    const money = () => page.$eval(tid('medicine-value'), (e) => e.textContent);
    const zhDate = await tripDate();
    const zhMoney = await money();
    assertEq(await page.evaluate(() => new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(2026, 10, 22))), zhDate, 'date in Chinese');
    assertEq(await page.evaluate(() => new Intl.NumberFormat('zh-CN').format(44658)),
      await page.$eval(tid('consultations-expected'), (e) => e.textContent), 'number in zh-CN format');
    await page.screenshot({ path: join(SHOTS, 'dashboard-zh.png'), fullPage: true });
    pass('screenshot dashboard-zh.png');

    await page.click(tid('lang-switch'));
    await expectText(page, tid('title'), 'Outreach progress dashboard', 'English after the switch');
    assertEq('en', await page.evaluate(() => document.documentElement.lang), 'html lang en');
    await expectText(page, tid('lang-switch'), '中文', 'switch offers Chinese');
    await expectText(page, '#targets-h', 'Annual targets', 'section heading in English');
    assertEq(await page.evaluate(() => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(2026, 10, 22))), await tripDate(), 'date in English');
    if ((await tripDate()) === zhDate) fail('the date format did not change');
    if ((await money()) === zhMoney) fail('the money format did not change');
    assertEq(await page.evaluate(() => new Intl.NumberFormat('en', { style: 'currency', currency: 'CNY' }).format(480.5)),
      await money(), 'money in English format');
    assertEq('120', await attr(page, tid('consultations-count'), 'data-value'), 'figures kept across the switch');
    await page.screenshot({ path: join(SHOTS, 'dashboard-en.png'), fullPage: true });
    pass('screenshot dashboard-en.png');

    // Reload: the language is remembered and the tab signs in again by itself.
    await page.reload();
    await expectState(page, tid('conn-state'), 'connected', 'connected again after reload');
    await expectText(page, tid('title'), 'Outreach progress dashboard', 'English remembered after reload');
    await expectValue(page, tid('consultations-count'), 120, 'figures back after reload');
    await page.click(tid('lang-switch'));
    await expectText(page, tid('title'), '义诊进度看板', 'back to Chinese');
    await expectText(page, '#targets-h', '年度目标', 'section heading in Chinese');

    // ---- connection indicator: drop the socket while offline, then come back ---------
    await ctx.setOffline(true);
    await page.evaluate(() => window.dashboard.client.stream.destroy());
    await expectState(page, tid('conn-state'), 'reconnecting', 'indicator after the socket drops');
    await ctx.setOffline(false);
    await expectState(page, tid('conn-state'), 'connected', 'indicator after mqtt.js reconnects', 15_000);
    await report('headcount', '--department', 'surgery', '--consultations', '5');
    await expectValue(page, tid('consultations-count'), 125, 'live again after the reconnect');

    // ---- phone ---------------------------------------------------------------------
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(15_000);
    await phone.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
    const p2 = await phone.newPage();
    p2.on('pageerror', (e) => errors.push(e.message));
    // No fragment: the sign-in form; a wrong password is refused, the right one works.
    await p2.goto(WEB_URL);
    await expectState(p2, tid('conn-state'), 'signed_out', 'phone: signed out without credentials');
    assertEq(true, await p2.isVisible(tid('login-form')), 'phone: the sign-in form is shown');
    assertEq('dashboard', await p2.inputValue('#login-user'), 'phone: user name defaults to dashboard');
    await p2.fill('#login-pass', 'not-the-password');
    await p2.click(`${tid('login-form')} button[type="submit"]`);
    await expectAttr(p2, tid('login-error'), 'data-error', 'login.error.auth', 'phone: wrong password refused');
    await p2.fill('#login-pass', password('dashboard'));
    await p2.click(`${tid('login-form')} button[type="submit"]`);
    await expectState(p2, tid('conn-state'), 'connected', 'phone: signed in with the form');
    assertEq(false, await p2.isVisible(tid('login-form')), 'phone: the form is hidden once signed in');
    await expectValue(p2, tid('consultations-count'), 125, 'phone: consultations');
    await expectState(p2, tid('agent-team-02'), 'offline', 'phone: agents listed');
    const widths = await p2.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (widths[0] > widths[1]) fail(`phone: the page is ${widths[0]} px wide in a ${widths[1]} px viewport`);
    pass(`phone: no sideways scrolling of the page (${widths[0]} px)`);
    await p2.screenshot({ path: join(SHOTS, 'dashboard-phone.png') });
    pass('screenshot dashboard-phone.png');
    await phone.close();

    if (errors.length) fail(`errors in the page: ${errors.join(' | ')}`);
    pass('no errors in the page');
  } finally {
    await browser.close().catch(() => {});
    await watcher.c.endAsync().catch(() => {});
  }
}

try {
  await within(200_000, 'dashboard test', main());
  console.log('dashboard: all checks passed');
  process.exit(0);
} catch (e) {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
}
