// dashboard_panels.test.mjs -- the dashboard's panels of issue 13 in headless
// Chromium against the stack tests/integration/web.sh starts (trips
// 2026-web-001 today in cili with team-01's daemon online, 2026-web-003
// completed with team-02 offline): the devices panel from devices/+ (the
// coordinator's own messages for team-01 and team-02, one the test publishes
// for an agent that never sent a status), open alerts at the top (alerts/+),
// the county targets in the county table, the coverage panel and the month
// table with its month picker.
//
// The alerts, county targets, coverage and months are the retained messages of
// the contract (docs/protocol.md), published here as the coordinator account:
// in the year 2025, where the stack has no trip, so that the coordinator never
// republishes over them; and cleared (empty retained) at the end. Fields that
// carry an <img onerror> must show as text. Exits non-zero on the first failure;
// saves dashboard-panels-zh.png, dashboard-panels-en.png, dashboard-panels-phone.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  launch, env, password, pass, fail, assertEq, expectAttr, expectValue, expectState, expectText,
  mqttConnect, within, until, localContext, runTest,
} from './lib.mjs';

const WEB_URL = env('WEB_URL');
const ROOT = env('ROOT');
const SHOTS = env('SCREENSHOTS');
const Y = 2025; // the synthetic year (the stack's trips are all in 2026)
const tid = (id) => `[data-testid="${id}"]`;
const XSS = '<img src=x onerror="window.__xss=1">';

// ---- the retained messages of the contract ------------------------------------
const AS_OF = '2025-12-31T18:00:00+08:00';
const zeroMonth = (month) => ({
  month, consultations: 0,
  by_department: { internal: 0, surgery: 0, obgyn: 0, pediatrics: 0, ophthalmology: 0, tcm: 0, dental: 0, general: 0, other: 0 },
  female: 0, over_60: 0, poor_households: 0, staff: 0, value_fen: 0, dispenses: 0, referrals: 0,
  by_destination: { township_health_center: 0, county_hospital: 0, city_hospital: 0 },
  by_urgency: { routine: 0, urgent: 0, emergency: 0 }, brochures: 0, attendees: 0, talks: 0, education: 0,
});
const JAN = {
  ...zeroMonth(1), consultations: 57,
  by_department: { ...zeroMonth(1).by_department, internal: 30, pediatrics: 20, tcm: 7 },
  female: 31, over_60: 12, poor_households: 9, staff: 6, value_fen: 125050, dispenses: 4, referrals: 5,
  by_destination: { township_health_center: 2, county_hospital: 2, city_hospital: 1 },
  by_urgency: { routine: 3, urgent: 1, emergency: 1 }, brochures: 200, attendees: 80, talks: 2, education: 3,
};
const MAR = {
  ...zeroMonth(3), consultations: 40,
  by_department: { ...zeroMonth(3).by_department, surgery: 25, other: 15 },
  female: 18, over_60: 20, poor_households: 4, staff: 3, value_fen: 9900, dispenses: 2, referrals: 1,
  by_destination: { township_health_center: 0, county_hospital: 1, city_hospital: 0 },
  by_urgency: { routine: 0, urgent: 1, emergency: 0 },
};
const MONTHS = { year: Y, as_of: AS_OF, months: Array.from({ length: 12 }, (_, i) => (i === 0 ? JAN : i === 2 ? MAR : zeroMonth(i + 1))) };

// The same for one county (…/counties/wuzhi/months): January only.
const WUZHI_MONTHS = {
  year: Y, as_of: AS_OF, county: 'wuzhi', county_name: '武陟县',
  months: Array.from({ length: 12 }, (_, i) => (i ? zeroMonth(i + 1) : {
    ...zeroMonth(1), consultations: 20, by_department: { ...zeroMonth(1).by_department, internal: 20 }, female: 11, staff: 2,
  })),
};

const fig = (count, target) => ({ count, target, expected_to_date: target, projected_year_end: count, pace: count < target ? 'behind' : 'on_pace' });
const YEAR_PROGRESS = {
  year: Y, as_of: AS_OF, today: '2025-12-31',
  consultations: fig(97, 50000), staff: fig(9, 500), medicine: { value_fen: 134950, dispenses: 6 },
  referrals: { count: 6, by_destination: { township_health_center: 2, county_hospital: 3, city_hospital: 1 } },
  education: { brochures: 200, attendees: 80, talks: 2 }, trips: { planned: 0, completed: 2, cancelled: 0 },
};
const county = (code, name, cons, staff, targets) => ({
  year: Y, as_of: AS_OF, today: '2025-12-31', county: code, county_name: name,
  consultations: { count: cons }, staff: { count: staff }, trips: { planned: 0, completed: 1, cancelled: 0 },
  medicine: { value_fen: 0, dispenses: 0 }, referrals: { count: 0, by_destination: {} },
  ...(targets ? { county_targets: targets } : {}),
});
const WUZHI = county('wuzhi', '武陟县', 300, 12, {
  consultations: { target: 1000, expected_to_date: 1000, projected_year_end: 300, pace: 'behind' },
  staff: { target: 10, expected_to_date: 10, projected_year_end: 12, pace: 'ahead' },
});
const CILI = county('cili', '慈利县', 57, 6, null);

const COVERAGE = {
  year: Y, as_of: AS_OF, poor_villages: 5, reached: 2,
  by_county: [
    { county: 'cili', county_name: '慈利县', poor_villages: 3, reached: 2,
      townships: [{ township: '零阳镇', poor_villages: 2, reached: 2 }, { township: '江垭镇', poor_villages: 1, reached: 0 }] },
    { county: 'wuzhi', county_name: '武陟县', poor_villages: 2, reached: 0,
      townships: [{ township: XSS, poor_villages: 2, reached: 0 }] },
  ],
  not_reached: [
    { code: '430821104201', name: '高峰村', township: '江垭镇', county: 'cili' },
    { code: '410823101201', name: XSS, township: XSS, county: 'wuzhi' },
    { code: '410823101202', name: '大封村', township: XSS, county: 'wuzhi' },
  ],
};

const NOW = '2026-11-22T10:00:00+08:00';
const alert = (id, kind, level, since, subject, detail, state = 'open') => ({
  alert_id: id, kind, level, state, since, cleared_at: state === 'open' ? null : NOW, subject, detail, as_of: NOW,
});
const ALERTS = [
  alert('seq_gap.team-09', 'seq_gap', 'warning', '2026-11-22T08:00:00+08:00', { agent_id: 'team-09' }, { missing: 3, oldest_gap_minutes: 125 }),
  alert('site_silent.2026-xw-101.team-07', 'site_silent', 'critical', '2026-11-22T09:30:00+08:00',
    { trip_id: '2026-xw-101', agent_id: 'team-07' }, { offline: true, minutes_silent: 45 }),
  alert(`county_behind.${Y}.wuzhi`, 'county_behind', 'warning', '2026-11-20T18:00:00+08:00',
    { county: 'wuzhi', year: Y }, { figure: 'consultations', count: 300, expected: 400, share_behind: 0.25 }),
  alert('seq_gap.xss-test', 'seq_gap', 'warning', '2026-11-22T08:30:00+08:00', { agent_id: XSS }, { missing: 1, oldest_gap_minutes: 61 }),
  // Both figures behind: both named, as the coordinator lists them in shortfalls.
  alert(`county_behind.${Y}.cili`, 'county_behind', 'critical', '2026-11-21T18:00:00+08:00',
    { county: 'cili', year: Y }, {
      figure: 'staff', count: 4, expected: 9, share_behind: 0.55,
      shortfalls: [{ figure: 'consultations', count: 700, expected: 800, share_behind: 0.12 },
        { figure: 'staff', count: 4, expected: 9, share_behind: 0.55 }],
    }),
  alert('site_silent.2026-xw-102.team-08', 'site_silent', 'warning', '2026-11-21T09:00:00+08:00',
    { trip_id: '2026-xw-102', agent_id: 'team-08' }, { offline: false, minutes_silent: 30 }, 'cleared'),
];
// Ids of agents, trips and a county the stack does not have, so that the
// coordinator's own alerts never share a topic with these.
// The order on the page: critical first, then the oldest first.
const ALERT_ORDER = [`county_behind.${Y}.cili`, 'site_silent.2026-xw-101.team-07', `county_behind.${Y}.wuzhi`, 'seq_gap.team-09', 'seq_gap.xss-test'];

const DEVICE_09 = {
  agent_id: 'team-09', online: null, last_heard: '2026-11-22T09:15:00+08:00', trip_id: null, pending: null,
  last_seq: 42, missing: [[3, 4], [17, 17]], missing_count: 3, missing_ranges: 2, status_since: null, as_of: NOW,
};

const TOPICS = {
  [`progress/${Y}`]: YEAR_PROGRESS,
  [`progress/${Y}/months`]: MONTHS,
  [`progress/${Y}/coverage`]: COVERAGE,
  [`progress/${Y}/counties/wuzhi`]: WUZHI,
  [`progress/${Y}/counties/cili`]: CILI,
  [`progress/${Y}/counties/wuzhi/months`]: WUZHI_MONTHS,
  'devices/team-09': DEVICE_09,
  ...Object.fromEntries(ALERTS.map((a) => [`alerts/${a.alert_id}`, a])),
};

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const coord = await mqttConnect('coordinator');
  const retained = new Map(); // what the broker holds under alerts/+ and the 2026 coverage, as the page should see it
  coord.on('message', (topic, payload) => {
    const s = payload.toString();
    if (!s) retained.delete(topic); else { try { retained.set(topic, JSON.parse(s)); } catch { /* not ours */ } }
  });
  await within(5000, 'subscribe', coord.subscribeAsync([`${ROOT}/alerts/+`, `${ROOT}/progress/2026/coverage`,
    `${ROOT}/progress/2026/counties/+`, `${ROOT}/progress/2026/months`], { qos: 1 }));
  const publish = (topic, v) => within(5000, `publish ${topic}`,
    coord.publishAsync(`${ROOT}/${topic}`, v === '' ? '' : JSON.stringify(v), { qos: 1, retain: true }));
  const browser = await launch();
  const errors = [];
  try {
    for (const [topic, v] of Object.entries(TOPICS)) await publish(topic, v);
    pass(`published ${Object.keys(TOPICS).length} retained messages of the contract`);

    const ctx = await localContext(browser, { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    await page.goto(`${WEB_URL}#u=dashboard&p=${encodeURIComponent(password('dashboard'))}`);
    await expectState(page, tid('conn-state'), 'connected', 'connection indicator');

    // ---- alerts at the top: the open ones, critical first, then the oldest ------
    for (const id of ALERT_ORDER) await expectAttr(page, tid(`alert-${id}`), 'data-state', 'open', `alert ${id} shown`);
    assertEq(null, await page.$(tid('alert-site_silent.2026-xw-102.team-08')), 'a cleared alert is not shown at the top');
    const open = () => [...retained.entries()].filter(([k, a]) => k.startsWith(`${ROOT}/alerts/`) && a && a.state === 'open').length;
    await until('the watcher holds the test alerts', () => [...retained.keys()].filter((k) => k.startsWith(`${ROOT}/alerts/`)).length >= ALERTS.length);
    await expectValue(page, tid('alerts'), open(), `open alerts counted (${open()}, as retained)`);
    const shown = await page.$$eval('#alert-list li[data-testid]', (l) => l.map((e) => e.dataset.testid.slice(6)));
    assertEq(JSON.stringify(ALERT_ORDER), JSON.stringify(shown.filter((id) => ALERT_ORDER.includes(id))), 'alerts in order: critical, then oldest');
    assertEq('alerts', await page.$eval('main > section', (s) => s.id), 'the alerts are the first section of the page');
    const alertText = (id) => page.$eval(`${tid(`alert-${id}`)} [data-field="text"]`, (e) => e.textContent);
    assertEq('设备 team-07（活动 2026-xw-101）已离线 45 分钟', await alertText('site_silent.2026-xw-101.team-07'), 'site silent in Chinese');
    assertEq('武陟县 2025 年义诊人次落后进度 25%：已达 300，应达 400', await alertText(`county_behind.${Y}.wuzhi`), 'county behind in Chinese');
    assertEq('慈利县 2025 年落后进度：义诊人次落后 12%（已达 700，应达 800）；医务人员落后 55%（已达 4，应达 9）',
      await alertText(`county_behind.${Y}.cili`), 'county behind on both figures in Chinese');
    assertEq('设备 team-09 有 3 条报告尚未送达，最早的缺口已 125 分钟', await alertText('seq_gap.team-09'), 'seq gap in Chinese');
    assertEq(`设备 ${XSS} 有 1 条报告尚未送达，最早的缺口已 61 分钟`, await alertText('seq_gap.xss-test'), 'an <img> in an alert shown as text');
    await expectAttr(page, tid('alert-site_silent.2026-xw-101.team-07'), 'data-level', 'critical', 'site silent level');
    await expectValue(page, `${tid('alert-site_silent.2026-xw-101.team-07')} [data-field="since"]`, '2026-11-22T09:30:00+08:00', 'site silent since');
    // The coordinator's own alert: cili below its own targets (web.sh), raised and
    // retained by the real coordinator; its words made from its retained detail.
    const realId = 'county_behind.2026.cili';
    const real = await until(`the coordinator's ${realId}`, () => retained.get(`${ROOT}/alerts/${realId}`), 20_000);
    assertEq('open', real.state, `${realId} open`);
    await expectAttr(page, tid(`alert-${realId}`), 'data-level', real.level, `${realId} level as retained`);
    await expectValue(page, `${tid(`alert-${realId}`)} [data-field="since"]`, real.since, `${realId} since as retained`);
    const pct = (x) => page.evaluate((v) => new Intl.NumberFormat('zh-CN', { style: 'percent', maximumFractionDigits: 1 }).format(v), x);
    const figureZh = (f) => (f.figure === 'staff' ? '医务人员' : '义诊人次');
    const shortfalls = real.detail.shortfalls ?? [];
    let realWords;
    if (shortfalls.length < 2) {
      realWords = `慈利县 2026 年${figureZh(real.detail)}落后进度 ${await pct(real.detail.share_behind)}：已达 ${real.detail.count}，应达 ${real.detail.expected}`;
    } else {
      const each = [];
      for (const f of shortfalls)
        each.push(`${figureZh(f)}落后 ${await pct(f.share_behind)}（已达 ${f.count}，应达 ${f.expected}）`);
      realWords = `慈利县 2026 年落后进度：${each.join('；')}`;
    }
    assertEq(realWords, await alertText(realId), `${realId} in words (${shortfalls.length} shortfalls)`);
    assertEq('严重', await page.$eval(`${tid('alert-site_silent.2026-xw-101.team-07')} [data-field="level"]`, (e) => e.textContent), 'level in Chinese');

    // ---- devices from devices/+: the coordinator's own, and one without status ----
    await expectState(page, tid('agent-team-01'), 'online', 'team-01 online (devices/team-01)');
    await expectValue(page, `${tid('agent-team-01')} [data-field="trip"]`, '2026-web-001', 'team-01 trip');
    await expectValue(page, `${tid('agent-team-01')} [data-field="pending"]`, 0, 'team-01 pending');
    await expectValue(page, `${tid('agent-team-01')} [data-field="missing_count"]`, 0, 'team-01 missing');
    await expectState(page, tid('agent-team-02'), 'offline', 'team-02 offline (its will)');
    await expectState(page, tid('agent-team-09'), 'no_status', 'team-09 never sent a status');
    assertEq('未上报状态', await page.$eval(`${tid('agent-team-09')} [data-field="state"]`, (e) => e.textContent), 'no status in Chinese');
    await expectValue(page, `${tid('agent-team-09')} [data-field="last_heard"]`, DEVICE_09.last_heard, 'team-09 last heard');
    await expectValue(page, `${tid('agent-team-09')} [data-field="last_seq"]`, 42, 'team-09 last seq');
    await expectValue(page, `${tid('agent-team-09')} [data-field="pending"]`, '', 'team-09 pending unknown');
    await expectValue(page, `${tid('agent-team-09')} [data-field="missing_count"]`, 3, 'team-09 missing count');
    await expectValue(page, `${tid('agent-team-09')} [data-field="missing"]`, '3-4 17-17', 'team-09 missing ranges');
    assertEq('3 (3–4, 17)', (await page.$eval(`${tid('agent-team-09')} [data-field="missing_count"]`, (e) => e.textContent)).trim(), 'missing ranges in words');
    // The coordinator's figures of team-02 as it published them, in this browser.
    const dev02 = await page.evaluate(() => window.dashboard.state.devices.get('team-02'));
    await expectValue(page, `${tid('agent-team-02')} [data-field="last_heard"]`, dev02.last_heard ?? '', 'team-02 last heard as published');
    assertEq(null, await page.evaluate(() => localStorage.getItem('outreach.dashboard.agents')), 'no device figures kept in the browser');

    // ---- 2026: cili's own targets (web.sh's targets.set: 1000 consultations, 10 staff) --
    // The figures as the formula gives them for cili's count today, and as retained.
    const TODAY = env('OUTREACH_TODAY');
    const DIY = 365; // 2026
    const DAY = (Date.UTC(2026, Number(TODAY.slice(5, 7)) - 1, Number(TODAY.slice(8, 10))) - Date.UTC(2026, 0, 1)) / 86400000 + 1;
    const cili = await until('cili\'s county_targets retained', () => retained.get(`${ROOT}/progress/2026/counties/cili`)?.county_targets && retained.get(`${ROOT}/progress/2026/counties/cili`));
    const row26 = (code, col) => `${tid(`county-row-${code}`)} [data-col="${col}"]`;
    for (const [m, target] of [['consultations', 1000], ['staff', 10]]) {
      const count = cili[m].count;
      const exp = Math.round((target * DAY) / DIY);
      const diff = count - exp, tol = Math.max(1, Math.floor(target / 100));
      const want = { target, expected: exp, projected: Math.floor((count * DIY) / DAY), pace: diff > tol ? 'ahead' : diff < -tol ? 'behind' : 'on_pace' };
      const ct = cili.county_targets[m];
      assertEq(JSON.stringify(want), JSON.stringify({ target: ct.target, expected: ct.expected_to_date, projected: ct.projected_year_end, pace: ct.pace }),
        `cili ${m} targets retained = the formula for ${count} on day ${DAY}`);
      for (const [k, v] of Object.entries(want)) await expectValue(page, row26('cili', `${m}_${k}`), v, `2026 cili ${m}_${k}`);
      await expectValue(page, row26('sangzhi', `${m}_target`), '', `2026 sangzhi (no targets) ${m}_target empty`);
    }
    // 2026: the coordinator's own coverage (its register is empty here), as retained.
    const cov26 = await until('the coordinator\'s 2026 coverage', () => retained.get(`${ROOT}/progress/2026/coverage`));
    await expectValue(page, tid('coverage-reached'), cov26.reached, `2026 coverage: reached as retained (${cov26.reached})`);
    await expectValue(page, tid('coverage-poor'), cov26.poor_villages, `2026 coverage: poor villages as retained (${cov26.poor_villages})`);
    await expectValue(page, tid('not-reached-count'), cov26.not_reached.length, '2026 coverage: not reached as retained');

    // 2026: the coordinator's own months (the reports of the stack, by recorded_at), as retained.
    const mon26 = await until('the coordinator\'s 2026 months', () => retained.get(`${ROOT}/progress/2026/months`));
    for (const m of mon26.months) {
      for (const col of ['consultations', 'staff', 'value_fen']) {
        await expectValue(page, `${tid(`month-row-${m.month}`)} [data-col="${col}"]`, m[col], `2026 month ${m.month} ${col} as retained`);
      }
    }

    // ---- the synthetic year: county targets, coverage, months ------------------------
    await until('year 2025 in the selector', () => page.$(`${tid('year-select')} option[value="${Y}"]`));
    await page.selectOption(tid('year-select'), String(Y));
    const row = (code, col) => `${tid(`county-row-${code}`)} [data-col="${col}"]`;
    await expectValue(page, row('wuzhi', 'consultations'), 300, 'wuzhi consultations');
    for (const [col, v] of [['consultations_target', 1000], ['consultations_expected', 1000], ['consultations_projected', 300],
      ['consultations_pace', 'behind'], ['staff_target', 10], ['staff_expected', 10], ['staff_projected', 12], ['staff_pace', 'ahead']]) {
      await expectValue(page, row('wuzhi', col), v, `wuzhi ${col}`);
      await expectValue(page, row('cili', col), '', `cili (no targets) ${col} empty`);
    }
    assertEq('落后', (await page.$eval(row('wuzhi', 'consultations_pace'), (e) => e.textContent)).trim(), 'county pace in Chinese');
    assertEq('–', (await page.$eval(row('cili', 'consultations_target'), (e) => e.textContent)).trim(), 'a county without targets shows –');

    await expectValue(page, tid('coverage-reached'), 2, 'coverage: poor villages reached');
    await expectValue(page, tid('coverage-poor'), 5, 'coverage: poor villages');
    await expectValue(page, tid('coverage-share'), 0.4, 'coverage: share');
    await expectValue(page, `${tid('coverage-county-cili')} [data-col="poor_villages"]`, 3, 'coverage cili poor villages');
    await expectValue(page, `${tid('coverage-county-cili')} [data-col="reached"]`, 2, 'coverage cili reached');
    await expectValue(page, `${tid('coverage-county-wuzhi')} [data-col="not_reached"]`, 2, 'coverage wuzhi not reached');
    await expectValue(page, `${tid('coverage-township-cili-江垭镇')} [data-col="reached"]`, 0, 'coverage township 江垭镇 reached');
    await expectValue(page, `${tid('coverage-township-cili-零阳镇')} [data-col="share"]`, 1, 'coverage township 零阳镇 share');
    await expectValue(page, tid('not-reached-count'), 3, 'villages not reached');
    assertEq(JSON.stringify(['430821104201', '410823101201', '410823101202']),
      JSON.stringify(await page.$$eval('[data-testid="not-reached-table"] tbody tr', (l) => l.map((r) => r.querySelector('[data-col="code"]').textContent))),
      'the not-reached list, as sent');
    assertEq('高峰村|江垭镇|慈利县', await page.$eval(tid('not-reached-430821104201'),
      (r) => ['name', 'township', 'county'].map((c) => r.querySelector(`[data-col="${c}"]`).textContent).join('|')), 'a village not reached: name, township, county');
    assertEq(XSS, await page.$eval(`${tid('not-reached-410823101201')} [data-col="name"]`, (e) => e.textContent), 'an <img> village name shown as text');

    // Months: December by default (2025 is over), then March picked, then January clicked.
    await expectAttr(page, tid('month-detail'), 'data-month', 12, 'month picked by default: December of a past year');
    await expectValue(page, `${tid('month-row-1')} [data-col="consultations"]`, 57, 'January consultations');
    await expectValue(page, `${tid('month-row-3')} [data-col="over_60"]`, 20, 'March over 60');
    await expectValue(page, `${tid('month-row-2')} [data-col="consultations"]`, 0, 'February consultations');
    await expectValue(page, `${tid('month-total')} [data-col="consultations"]`, 97, 'the year\'s consultations by month summed');
    await expectValue(page, `${tid('month-total')} [data-col="value_fen"]`, 134950, 'the year\'s medicine value summed');
    await expectValue(page, `${tid('month-total')} [data-col="staff"]`, '', 'staff not summed over months (distinct people)');
    await page.selectOption(tid('month-select'), '3');
    await expectAttr(page, tid('month-detail'), 'data-month', 3, 'March picked');
    const det = (f) => `${tid('month-detail')} [data-field="${f}"]`;
    for (const [f, v] of [['consultations', 40], ['dep-surgery', 25], ['dep-other', 15], ['dep-internal', 0], ['female', 18], ['over_60', 20],
      ['poor_households', 4], ['staff', 3], ['value_fen', 9900], ['dispenses', 2], ['referrals', 1], ['dest-county_hospital', 1],
      ['urg-urgent', 1], ['urg-routine', 0], ['talks', 0]]) await expectValue(page, det(f), v, `March ${f}`);
    await expectAttr(page, tid('month-row-3'), 'aria-selected', 'true', 'March row highlighted');
    await page.click(`${tid('month-row-1')} th`);
    await expectAttr(page, tid('month-detail'), 'data-month', 1, 'January picked by clicking its row');
    assertEq('1', await page.$eval(tid('month-select'), (s) => s.value), 'the picker follows the click');
    for (const [f, v] of [['consultations', 57], ['dep-internal', 30], ['dep-pediatrics', 20], ['dep-tcm', 7], ['female', 31], ['over_60', 12],
      ['poor_households', 9], ['staff', 6], ['value_fen', 125050], ['dispenses', 4], ['referrals', 5], ['dest-township_health_center', 2],
      ['dest-county_hospital', 2], ['dest-city_hospital', 1], ['urg-routine', 3], ['urg-urgent', 1], ['urg-emergency', 1],
      ['brochures', 200], ['attendees', 80], ['talks', 2], ['education', 3]]) await expectValue(page, det(f), v, `January ${f}`);
    assertEq(await page.evaluate(() => new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' }).format(1250.5)),
      await page.$eval(det('value_fen'), (e) => e.textContent), 'January medicine value in yuan');
    assertEq('2025 年一月明细', await page.$eval(tid('month-detail-title'), (e) => e.textContent), 'the month\'s title in Chinese');
    // One county's months (…/counties/wuzhi/months), then every county again.
    assertEq(JSON.stringify(['', 'wuzhi']), JSON.stringify(await page.$$eval(`${tid('month-scope')} option`, (l) => l.map((o) => o.value))),
      'month scope: every county, and the counties with months');
    await page.selectOption(tid('month-scope'), 'wuzhi');
    await expectAttr(page, tid('month-table'), 'data-scope', 'wuzhi', 'month scope wuzhi');
    await expectValue(page, `${tid('month-row-1')} [data-col="consultations"]`, 20, 'wuzhi January consultations');
    await expectValue(page, `${tid('month-row-3')} [data-col="consultations"]`, 0, 'wuzhi March consultations');
    for (const [f, v] of [['consultations', 20], ['dep-internal', 20], ['dep-pediatrics', 0], ['female', 11], ['staff', 2]]) {
      await expectValue(page, det(f), v, `wuzhi January ${f}`);
    }
    assertEq('2025 年一月明细 · 武陟县', await page.$eval(tid('month-detail-title'), (e) => e.textContent), 'the county in the month\'s title');
    await page.selectOption(tid('month-scope'), '');
    await expectValue(page, `${tid('month-row-1')} [data-col="consultations"]`, 57, 'every county\'s January again');

    // Nothing a message carried ran as HTML.
    assertEq(0, await page.evaluate(() => document.querySelectorAll('main img').length), 'no <img> element made from a message');
    assertEq(undefined, await page.evaluate(() => window.__xss), 'no onerror ran');
    await page.screenshot({ path: join(SHOTS, 'dashboard-panels-zh.png'), fullPage: true });
    pass('screenshot dashboard-panels-zh.png');

    // ---- English -----------------------------------------------------------------
    await page.click(tid('lang-switch'));
    await expectText(page, tid('title'), 'Outreach progress dashboard', 'English after the switch');
    assertEq('Agent team-07 (trip 2026-xw-101) offline for 45 min', await alertText('site_silent.2026-xw-101.team-07'), 'site silent in English');
    assertEq('武陟县 is 25% behind pace on consultations in 2025: 300, expected 400', await alertText(`county_behind.${Y}.wuzhi`), 'county behind in English');
    assertEq('慈利县 is behind pace in 2025: consultations 12% behind (700, expected 800); medical staff 55% behind (4, expected 9)',
      await alertText(`county_behind.${Y}.cili`), 'county behind on both figures in English');
    assertEq('Agent team-09: 3 reports not received yet, the oldest gap open for 125 min', await alertText('seq_gap.team-09'), 'seq gap in English');
    assertEq(`Agent ${XSS}: 1 report not received yet, the oldest gap open for 61 min`, await alertText('seq_gap.xss-test'), 'one report missing: singular in English');
    assertEq('No status yet', await page.$eval(`${tid('agent-team-09')} [data-field="state"]`, (e) => e.textContent), 'no status in English');
    assertEq('Behind', (await page.$eval(row('wuzhi', 'consultations_pace'), (e) => e.textContent)).trim(), 'county pace in English');
    assertEq('January 2025 in detail', await page.$eval(tid('month-detail-title'), (e) => e.textContent), 'the month\'s title in English');
    assertEq('1', await page.$eval(tid('month-select'), (s) => s.value), 'the picked month kept across the switch');
    await expectValue(page, det('consultations'), 57, 'January figures kept across the switch');
    await page.screenshot({ path: join(SHOTS, 'dashboard-panels-en.png'), fullPage: true });
    pass('screenshot dashboard-panels-en.png');

    // ---- live: an alert cleared, a device that comes online --------------------------
    await publish('alerts/site_silent.2026-xw-101.team-07', { ...ALERTS[1], state: 'cleared', cleared_at: NOW });
    await until('the cleared alert leaves the top', async () => !(await page.$(tid('alert-site_silent.2026-xw-101.team-07'))));
    pass('an alert cleared leaves the top without a reload');
    await until('the watcher sees it cleared', () => retained.get(`${ROOT}/alerts/site_silent.2026-xw-101.team-07`)?.state === 'cleared');
    await expectValue(page, tid('alerts'), open(), `open alerts counted after the clear (${open()})`);
    await publish('devices/team-09', { ...DEVICE_09, online: true, trip_id: '2026-web-001', pending: 0, missing: [], missing_count: 0, missing_ranges: 0, status_since: NOW });
    await expectState(page, tid('agent-team-09'), 'online', 'team-09 online after its birth');
    await expectValue(page, `${tid('agent-team-09')} [data-field="missing_count"]`, 0, 'team-09 nothing missing');
    await expectValue(page, `${tid('agent-team-09')} [data-field="status_since"]`, NOW, 'team-09 status since');
    await page.selectOption(tid('year-select'), '2026');
    await until('team-09 on the card of its trip', () => page.$(`${tid('trip-2026-web-001')} .agent-chip[data-state="online"]:text-is("team-09")`));
    pass('team-09 on the card of trip 2026-web-001, online');
    // 2025 without any county's targets: no target columns.
    await publish(`progress/${Y}/counties/wuzhi`, county('wuzhi', '武陟县', 300, 12, null));
    await page.selectOption(tid('year-select'), String(Y));
    await until('2025 without target columns', async () => (await page.$(tid('county-row-wuzhi'))) && !(await page.$('th[data-sort="consultations_target"]')));
    pass('no target columns when no county of the year has targets');

    // ---- a fresh browser on a phone shows the same ------------------------------------
    const phone = await localContext(browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    // What an earlier version of the page kept in this browser is dropped, not shown.
    await phone.addInitScript(() => {
      if (!sessionStorage.getItem('test.seeded')) {
        sessionStorage.setItem('test.seeded', '1');
        localStorage.setItem('outreach.dashboard.agents', JSON.stringify({ 'team-02': { pending: 99, since: '2020-01-01T00:00:00Z' } }));
      }
    });
    const p2 = await phone.newPage();
    p2.on('pageerror', (e) => errors.push(e.message));
    await p2.goto(`${WEB_URL}#u=dashboard&p=${encodeURIComponent(password('dashboard'))}`);
    await expectState(p2, tid('conn-state'), 'connected', 'phone: connected');
    await expectState(p2, tid('agent-team-02'), 'offline', 'fresh browser: team-02 offline');
    await expectValue(p2, `${tid('agent-team-02')} [data-field="last_heard"]`, dev02.last_heard ?? '', 'fresh browser: team-02 last heard as the other');
    await expectValue(p2, `${tid('agent-team-09')} [data-field="last_seq"]`, 42, 'fresh browser: team-09 last seq');
    await expectValue(p2, `${tid('agent-team-02')} [data-field="pending"]`,
      await page.$eval(`${tid('agent-team-02')} [data-field="pending"]`, (e) => e.dataset.value), 'fresh browser: team-02 pending as the other, not the old stored 99');
    assertEq(null, await p2.evaluate(() => localStorage.getItem('outreach.dashboard.agents')), 'the old stored agent figures removed');
    await expectAttr(p2, tid(`alert-county_behind.${Y}.wuzhi`), 'data-state', 'open', 'fresh browser: the county alert');
    const widths = await p2.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (widths[0] > widths[1]) fail(`phone: the page is ${widths[0]} px wide in a ${widths[1]} px viewport`);
    pass(`phone: no sideways scrolling with the new panels (${widths[0]} px)`);
    await p2.screenshot({ path: join(SHOTS, 'dashboard-panels-phone.png') });
    pass('screenshot dashboard-panels-phone.png');
    await phone.close();

    if (errors.length) fail(`errors in the page: ${errors.join(' | ')}`);
    pass('no errors in the page');
  } finally {
    for (const topic of Object.keys(TOPICS)) await publish(topic, '').catch(() => {});
    await browser.close().catch(() => {});
    await coord.endAsync().catch(() => {});
  }
}

await runTest('dashboard panels', main);
