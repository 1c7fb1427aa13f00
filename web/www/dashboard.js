// dashboard.js -- the live progress dashboard.
//
// Subscribes (read-only account) over MQTT-over-WebSockets to the retained
// topics the coordinator and the field agents publish (docs/protocol.md):
//   {root}/progress/#            annual progress, weekly series, per county
//                                (with its own targets), months, coverage
//   {root}/trips/#               public trip cards and each trip's totals
//   {root}/devices/+             every field agent as the coordinator knows it
//   {root}/alerts/+              alerts, open or cleared
//   {root}/coordinator/status    the coordinator's birth / will
// and renders them; every retained message that arrives updates the page.
// Plain script, no build step: needs the globals mqtt (vendor/mqtt.min.js),
// Chart (vendor/chart.umd.min.js) and I18N_DASHBOARD (i18n-dashboard.js).
'use strict';

(() => {
  const I18N = window.I18N_DASHBOARD;
  const LANGS = ['zh-CN', 'en'];
  const LANG_KEY = 'outreach.dashboard.lang';
  const USER_KEY = 'outreach.dashboard.user';
  const CRED_KEY = 'outreach.dashboard.cred'; // sessionStorage: this tab only
  // Agents' figures kept by earlier versions of the page: devices/+ replaces them.
  try { localStorage.removeItem('outreach.dashboard.agents'); } catch { /* private mode */ }
  const ROOT = new URLSearchParams(location.search).get('root') || 'outreach/v1';
  // The broker: the page's own host and port (ws://, or wss:// over https).
  // Served over https by the site's web server, a page reaches Mosquitto's TLS
  // WebSockets listener on the same host by ?wss_port=PORT (broker-config/README.md).
  const WSS_PORT = (new URLSearchParams(location.search).get('wss_port') || '').match(/^[1-9][0-9]{0,4}$/)?.[0];
  const BROKER_URL = location.protocol !== 'https:' ? `ws://${location.host}/`
    : `wss://${WSS_PORT ? `${location.hostname}:${WSS_PORT}` : location.host}/`;
  const ROLES = ['doctor', 'nurse', 'pharmacist', 'technician', 'health_promoter', 'support'];
  const METRICS = ['consultations', 'staff'];
  const GROUPS = ['in_progress', 'upcoming', 'past', 'completed', 'cancelled'];
  const DEPARTMENTS = ['internal', 'surgery', 'obgyn', 'pediatrics', 'ophthalmology', 'tcm', 'dental', 'general', 'other'];
  const DESTINATIONS = ['township_health_center', 'county_hospital', 'city_hospital'];
  const URGENCIES = ['routine', 'urgent', 'emergency'];

  // ---- state: everything received, keyed as on the wire ----------------------
  const state = {
    progress: new Map(), // year -> annual progress
    series: new Map(), // year -> weekly series
    counties: new Map(), // year -> Map(county code -> county progress)
    trips: new Map(), // trip_id -> public trip card
    tripProgress: new Map(), // trip_id -> trip totals
    devices: new Map(), // agent_id -> devices/{agent_id} (the coordinator's view of the agent)
    alerts: new Map(), // alert_id -> alerts/{alert_id}, open or cleared
    months: new Map(), // year -> progress/{year}/months
    countyMonths: new Map(), // year -> Map(county code -> progress/{year}/counties/{county}/months)
    coverage: new Map(), // year -> progress/{year}/coverage
    coordinator: null, // {online, since}
    conn: 'signed_out', // connecting | connected | reconnecting | disconnected | signed_out
    today: localDate(new Date()), // replaced by the coordinator's day (as_of)
    selectedYear: null, // null: follow today's year
    sort: { key: 'consultations', dir: -1 },
    selectedMonth: null, // null: today's month in today's year, else December
    monthScope: '', // '': every county; else a county code (its months topic)
  };
  let lang = LANGS.includes(localStorage.getItem(LANG_KEY)) ? localStorage.getItem(LANG_KEY) : 'zh-CN';
  let client = null;
  const charts = {};
  let chartYear = new Date().getFullYear(); // the year the charts show

  const $ = (sel, el = document) => el.querySelector(sel);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k);
    return e;
  };

  // ---- i18n and formatting ---------------------------------------------------
  function t(key, vars = {}) {
    const s = I18N[lang]?.[key] ?? I18N['zh-CN'][key] ?? key;
    return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  }
  const fmtCache = new Map();
  function formatter(kind) {
    const key = `${lang}|${kind}`;
    if (!fmtCache.has(key)) {
      let f;
      switch (kind) {
        case 'num': f = new Intl.NumberFormat(lang); break;
        case 'pct': f = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }); break;
        case 'cny': f = new Intl.NumberFormat(lang, { style: 'currency', currency: 'CNY', minimumFractionDigits: 2, maximumFractionDigits: 2 }); break;
        case 'yuan': f = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }); break;
        // Calendar dates are formatted in UTC: they are built at UTC midnight.
        case 'date': f = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }); break;
        case 'month': f = new Intl.DateTimeFormat(lang, { month: 'short', timeZone: 'UTC' }); break;
        case 'monthlong': f = new Intl.DateTimeFormat(lang, { month: 'long', timeZone: 'UTC' }); break;
        case 'ts': f = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Shanghai' }); break;
        case 'rel': f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }); break;
        default: throw new Error(kind);
      }
      fmtCache.set(key, f);
    }
    return fmtCache.get(key);
  }
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  const num = (v) => (isNum(v) ? formatter('num').format(v) : '–');
  const cny = (fen) => (isNum(fen) ? formatter('cny').format(fen / 100) : '–');
  const yuan = (fen) => (isNum(fen) ? formatter('yuan').format(fen / 100) : '–');
  function calDate(s) { // 'YYYY-MM-DD' -> Date at UTC midnight, or null
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
    return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
  }
  const fmtDate = (s) => { const d = calDate(s); return d ? formatter('date').format(d) : (s || '–'); };
  function fmtTs(s) {
    const d = s ? new Date(s) : null;
    return d && !isNaN(d) ? formatter('ts').format(d) : '–';
  }
  function fmtAgo(s) { // "5 minutes ago"
    const d = s ? new Date(s) : null;
    if (!d || isNaN(d)) return '';
    const sec = Math.round((d - Date.now()) / 1000);
    const abs = Math.abs(sec);
    const rel = formatter('rel');
    if (abs < 60) return rel.format(sec, 'second');
    if (abs < 3600) return rel.format(Math.round(sec / 60), 'minute');
    if (abs < 86400) return rel.format(Math.round(sec / 3600), 'hour');
    return rel.format(Math.round(sec / 86400), 'day');
  }
  function localDate(d) {
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  }
  const daysInYear = (y) => ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 366 : 365);
  const dayToDate = (year, day) => new Date(Date.UTC(year, 0, day)); // day 1 = 1 January

  // ---- privacy: these topics carry no personal data; never show it anyway ----
  // Drops every property named phone, and every property named name except
  // place names: the trip site's (site.name, e.g. 村卫生室), which the card must
  // show, and a village's in the coverage list (not_reached[].name).
  const PLACE_NAMES = new Set(['site', 'not_reached']);
  function scrub(v, parentKey = '') {
    if (Array.isArray(v)) return v.map((x) => scrub(x, parentKey));
    if (v && typeof v === 'object') {
      const o = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === 'phone' || (k === 'name' && !PLACE_NAMES.has(parentKey))) continue;
        o[k] = scrub(x, k);
      }
      return o;
    }
    return v;
  }

  // ---- incoming messages -----------------------------------------------------
  const decoder = new TextDecoder();
  function onMessage(topic, payload) {
    if (!topic.startsWith(ROOT + '/')) return;
    const parts = topic.slice(ROOT.length + 1).split('/');
    let data = null; // an empty retained payload clears the topic
    if (payload && payload.length) {
      try { data = JSON.parse(decoder.decode(payload)); } catch { return; }
      if (!data || typeof data !== 'object' || Array.isArray(data)) return;
      data = scrub(data);
    }
    const put = (map, key, v) => (v ? map.set(key, v) : map.delete(key));
    const [kind, id, sub, subId] = parts;
    if (kind === 'progress' && /^\d{4}$/.test(id || '')) {
      const year = Number(id);
      if (parts.length === 2) { put(state.progress, year, data); markDirty('years', 'targets', 'today'); }
      else if (sub === 'series' && parts.length === 3) { put(state.series, year, data); markDirty('charts', 'today'); }
      else if (sub === 'months' && parts.length === 3) { put(state.months, year, data); markDirty('months'); }
      else if (sub === 'coverage' && parts.length === 3) { put(state.coverage, year, data); markDirty('coverage'); }
      else if (sub === 'counties' && parts.length === 4) {
        if (!state.counties.has(year)) state.counties.set(year, new Map());
        put(state.counties.get(year), subId, data);
        markDirty('counties', 'coverage', 'alerts', 'months');
      } else if (sub === 'counties' && parts.length === 5 && parts[4] === 'months') {
        if (!state.countyMonths.has(year)) state.countyMonths.set(year, new Map());
        put(state.countyMonths.get(year), subId, data);
        markDirty('months');
      }
    } else if (kind === 'trips' && id) {
      if (parts.length === 2) put(state.trips, id, data);
      else if (sub === 'progress' && parts.length === 3) put(state.tripProgress, id, data);
      markDirty('trips');
    } else if (kind === 'devices' && id && parts.length === 2) {
      put(state.devices, id, data);
      markDirty('agents', 'trips');
    } else if (kind === 'alerts' && id && parts.length === 2) {
      put(state.alerts, id, data);
      markDirty('alerts');
    } else if (kind === 'coordinator' && id === 'status' && parts.length === 2) {
      state.coordinator = data;
      markDirty('header');
    }
  }

  // The coordinator's "today": the `today` of the newest progress it published
  // (the sites' date, or its OUTREACH_TODAY), else the date part of its as_of,
  // else the browser's date.
  function computeToday() {
    let best = null;
    for (const m of [state.progress, state.series]) {
      for (const p of m.values()) {
        const d = p && typeof p.as_of === 'string' ? new Date(p.as_of) : null;
        if (d && !isNaN(d) && (!best || d > best.d)) best = { d, p };
      }
    }
    if (!best) return localDate(new Date());
    const day = best.p.today;
    return typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : best.p.as_of.slice(0, 10);
  }
  function currentYear() {
    if (state.selectedYear) return state.selectedYear;
    const y = Number(state.today.slice(0, 4));
    if (state.progress.has(y) || state.progress.size === 0) return y;
    return Math.max(...state.progress.keys());
  }

  // ---- rendering: batched, only the parts that changed -----------------------
  const dirty = new Set();
  let renderTimer = 0;
  function markDirty(...parts) {
    for (const p of parts) dirty.add(p);
    if (!renderTimer) renderTimer = setTimeout(flush, 30);
  }
  function flush() {
    renderTimer = 0;
    const d = new Set(dirty);
    dirty.clear();
    if (d.has('today')) {
      const today = computeToday();
      if (today !== state.today) { state.today = today; d.add('trips'); d.add('years'); }
    }
    if (d.has('years')) {
      renderYears();
      for (const x of ['targets', 'charts', 'counties', 'trips', 'coverage', 'months']) d.add(x);
    }
    if (d.has('header')) renderHeader();
    if (d.has('targets')) { renderTargets(); renderSummary(); renderHeader(); }
    if (d.has('charts')) renderCharts();
    if (d.has('counties')) renderCounties();
    if (d.has('trips')) renderTrips();
    if (d.has('agents')) renderAgents();
    if (d.has('alerts')) renderAlerts();
    if (d.has('coverage')) renderCoverage();
    if (d.has('months')) renderMonths();
  }
  const renderAll = () => markDirty('years', 'header', 'targets', 'charts', 'counties', 'trips', 'agents',
    'alerts', 'coverage', 'months');

  function setConn(s) {
    state.conn = s;
    const e = $('[data-testid="conn-state"]');
    e.dataset.state = s;
    e.textContent = t(`conn.${s}`);
    // Figures stay on screen while disconnected, dimmed: they may be stale.
    document.body.classList.toggle('stale', s !== 'connected');
  }

  function renderHeader() {
    const c = state.coordinator;
    const cs = !c ? 'unknown' : c.online ? 'online' : 'offline';
    const ce = $('[data-testid="coordinator-state"]');
    ce.dataset.state = cs;
    ce.textContent = t(`coord.${cs}`);
    if (c && c.since) ce.title = fmtTs(c.since);
    const p = state.progress.get(currentYear());
    const asOf = $('[data-testid="as-of"]');
    asOf.textContent = p ? t('as_of', { time: fmtTs(p.as_of) }) : t('as_of.none');
    asOf.dataset.value = p ? p.as_of : '';
  }

  function renderYears() {
    const sel = $('#year-select');
    const years = new Set(state.progress.keys());
    years.add(currentYear());
    const want = [...years].sort((a, b) => b - a);
    const have = [...sel.options].map((o) => Number(o.value));
    if (want.join() !== have.join()) {
      sel.replaceChildren(...want.map((y) => el('option', { value: y, text: String(y) })));
    }
    sel.value = String(currentYear());
  }

  // The two target cards are built once; renderTargets() only fills them in.
  function buildTargetCard(card) {
    const m = card.dataset.metric;
    card.replaceChildren(
      el('header', {},
        el('h3', { 'data-i18n': `metric.${m}`, text: t(`metric.${m}`) }),
        el('span', { class: 'badge pace', 'data-testid': `${m}-pace` })),
      el('div', { class: 'big' },
        el('span', { class: 'count', 'data-testid': `${m}-count` }),
        el('span', { class: 'target', 'data-testid': `${m}-target` })),
      el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0 },
        el('div', { class: 'fill' }),
        el('div', { class: 'mark expected', 'data-testid': `${m}-expected-mark` }),
        el('div', { class: 'mark projected', 'data-testid': `${m}-projected-mark` })),
      el('dl', { class: 'figures' },
        el('div', {}, el('dt', { class: 'k-expected' }), el('dd', { 'data-testid': `${m}-expected` })),
        el('div', {}, el('dt', { class: 'k-projected' }), el('dd', { 'data-testid': `${m}-projected` })),
        el('div', {}, el('dt', { class: 'k-pct' }), el('dd', { 'data-testid': `${m}-pct` }))));
  }

  // Pace as the coordinator computes it (common/progress.c), if it sent none.
  function paceOf(f) {
    if (f.pace) return f.pace;
    const tol = Math.max(1, Math.floor(f.target / 100));
    const diff = f.count - f.expected_to_date;
    return diff > tol ? 'ahead' : diff < -tol ? 'behind' : 'on_pace';
  }
  const setVal = (e, value, text) => {
    e.dataset.value = value === undefined || value === null ? '' : String(value);
    e.textContent = text;
  };

  function renderTargets() {
    const p = state.progress.get(currentYear());
    for (const card of document.querySelectorAll('.card.target')) {
      const m = card.dataset.metric;
      const f = p && p[m];
      const q = (id) => $(`[data-testid="${m}-${id}"]`, card);
      $('h3', card).textContent = t(`metric.${m}`);
      $('.k-expected', card).textContent = t('expected');
      $('.k-projected', card).textContent = t('projected');
      $('.k-pct', card).textContent = t('of_target');
      if (!f || !isNum(f.count)) {
        card.dataset.pace = '';
        setVal(q('count'), null, '–');
        setVal(q('target'), null, t('nodata'));
        for (const id of ['expected', 'projected', 'pct', 'pace']) setVal(q(id), null, '–');
        continue;
      }
      const pace = paceOf(f);
      card.dataset.pace = pace;
      setVal(q('count'), f.count, num(f.count));
      setVal(q('target'), f.target, t('target', { value: num(f.target) }));
      setVal(q('expected'), f.expected_to_date, num(f.expected_to_date));
      setVal(q('projected'), f.projected_year_end, num(f.projected_year_end));
      setVal(q('pace'), pace, t(`pace.${pace}`));
      const ratio = f.target > 0 ? f.count / f.target : 0;
      setVal(q('pct'), ratio, formatter('pct').format(ratio));
      // The bar is the target; the marks sit at expected and projected (a
      // projection past the target is pinned to the end, marked "over").
      const pc = (v) => (f.target > 0 ? Math.max(0, Math.min(100, (100 * v) / f.target)) : 0);
      const bar = $('.bar', card);
      bar.setAttribute('aria-valuemax', f.target);
      bar.setAttribute('aria-valuenow', f.count);
      $('.fill', bar).style.width = `${pc(f.count)}%`;
      const ex = $('.mark.expected', bar);
      ex.style.left = `${pc(f.expected_to_date)}%`;
      ex.title = `${t('legend.expected')}: ${num(f.expected_to_date)}`;
      const pr = $('.mark.projected', bar);
      pr.style.left = `${pc(f.projected_year_end)}%`;
      pr.classList.toggle('over', f.projected_year_end > f.target);
      pr.title = `${t('legend.projected')}: ${num(f.projected_year_end)}`;
    }
  }

  function renderSummary() {
    const p = state.progress.get(currentYear());
    const tile = (id, label, value, raw, detail) =>
      el('div', { class: 'card tile' },
        el('div', { class: 'tile-label', text: label }),
        el('div', { class: 'tile-value', 'data-testid': id, 'data-value': raw ?? '', text: value }),
        detail ? el('div', { class: 'tile-detail', text: detail }) : null);
    if (!p) { $('#summary').replaceChildren(); return; }
    const bd = p.referrals?.by_destination || {};
    $('#summary').replaceChildren(
      tile('medicine-value', t('summary.medicine'), cny(p.medicine?.value_fen), p.medicine?.value_fen,
        t('summary.dispenses', { value: num(p.medicine?.dispenses) })),
      tile('referrals-count', t('summary.referrals'), num(p.referrals?.count), p.referrals?.count,
        `${t('col.ref_township')} ${num(bd.township_health_center)} · ${t('col.ref_county')} ${num(bd.county_hospital)} · ${t('col.ref_city')} ${num(bd.city_hospital)}`),
      tile('education-attendees', t('summary.education'), num(p.education?.attendees), p.education?.attendees,
        t('summary.education_detail', { talks: num(p.education?.talks), brochures: num(p.education?.brochures) })),
      tile('trips-total', t('summary.trips'),
        num((p.trips?.planned || 0) + (p.trips?.completed || 0)), (p.trips?.planned || 0) + (p.trips?.completed || 0),
        t('summary.trips_detail', { planned: num(p.trips?.planned), completed: num(p.trips?.completed), cancelled: num(p.trips?.cancelled) })));
  }

  // ---- charts: cumulative weeks against the straight pace line ---------------
  function makeChart(canvas) {
    const year = () => chartYear;
    return new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: '', data: [], borderColor: '#1d6fd8', backgroundColor: 'rgba(29,111,216,.12)', fill: 'origin',
            borderWidth: 2, pointRadius: 0, pointHitRadius: 8, stepped: false },
          { label: '', data: [], borderColor: '#8a94a6', borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'linear', min: 0, max: 365,
            // One tick at the first of each month, labelled with its name.
            afterBuildTicks: (axis) => {
              const y = year();
              axis.ticks = Array.from({ length: 12 }, (_, i) =>
                ({ value: (Date.UTC(y, i, 1) - Date.UTC(y, 0, 1)) / 86400000 }));
            },
            ticks: { callback: (v) => formatter('month').format(dayToDate(year(), v + 1)), maxRotation: 0, autoSkipPadding: 6 },
            grid: { display: false },
          },
          y: { beginAtZero: true, ticks: { callback: (v) => num(v) } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 18 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? formatter('date').format(dayToDate(year(), Math.round(items[0].parsed.x))) : ''),
              label: (item) => `${item.dataset.label}: ${num(Math.round(item.parsed.y))}`,
            },
          },
        },
      },
    });
  }

  function renderCharts() {
    if (typeof Chart === 'undefined') return;
    const year = currentYear();
    const s = state.series.get(year);
    const p = state.progress.get(year);
    const diy = s?.days_in_year || daysInYear(year);
    chartYear = year;
    for (const m of METRICS) {
      if (!charts[m]) charts[m] = makeChart($(`#chart-${m}`));
      const c = charts[m];
      const target = s?.targets?.[m] ?? p?.[m]?.target ?? 0;
      const weeks = Array.isArray(s?.weeks) ? s.weeks : [];
      c.data.datasets[0].label = t('chart.actual');
      c.data.datasets[0].data = [{ x: 0, y: 0 }, ...weeks.map((w) => ({ x: w.day, y: w[m] }))];
      c.data.datasets[1].label = t('chart.pace');
      c.data.datasets[1].data = [{ x: 0, y: 0 }, { x: diy, y: target }]; // target × day / days_in_year
      c.options.scales.x.max = diy;
      c.update('none');
      c.canvas.dataset.last = weeks.length ? String(weeks[weeks.length - 1][m]) : '';
    }
  }

  // ---- counties table ----------------------------------------------------------
  const COUNTY_COLS = [
    { key: 'county', label: 'col.county', get: (c, code) => c.county_name || code, text: true },
    { key: 'consultations', label: 'col.consultations', get: (c) => c.consultations?.count },
    { key: 'staff', label: 'col.staff', get: (c) => c.staff?.count },
    { key: 'trips_planned', label: 'col.trips_planned', get: (c) => c.trips?.planned },
    { key: 'trips_completed', label: 'col.trips_completed', get: (c) => c.trips?.completed },
    { key: 'trips_cancelled', label: 'col.trips_cancelled', get: (c) => c.trips?.cancelled },
    { key: 'medicine', label: 'col.medicine', get: (c) => c.medicine?.value_fen, fmt: yuan },
    { key: 'ref_township', label: 'col.ref_township', get: (c) => c.referrals?.by_destination?.township_health_center },
    { key: 'ref_county', label: 'col.ref_county', get: (c) => c.referrals?.by_destination?.county_hospital },
    { key: 'ref_city', label: 'col.ref_city', get: (c) => c.referrals?.by_destination?.city_hospital },
  ];
  // The county's own targets (county_targets, when it has them): shown when a
  // county of the year has any. Pace sorts behind < on pace < ahead.
  const PACE_RANK = { behind: 0, on_pace: 1, ahead: 2 };
  const TARGET_COLS = METRICS.flatMap((m) => [
    { key: `${m}_target`, label: `col.${m}_target`, get: (c) => c.county_targets?.[m]?.target },
    { key: `${m}_expected`, label: `col.${m}_expected`, get: (c) => c.county_targets?.[m]?.expected_to_date },
    { key: `${m}_projected`, label: `col.${m}_projected`, get: (c) => c.county_targets?.[m]?.projected_year_end },
    { key: `${m}_pace`, label: `col.${m}_pace`, pace: true, get: (c) => c.county_targets?.[m]?.pace,
      rank: (c) => PACE_RANK[c.county_targets?.[m]?.pace] },
  ]);
  function countyCols() {
    const m = state.counties.get(currentYear());
    const any = m && [...m.values()].some((c) => c.county_targets && typeof c.county_targets === 'object');
    return any ? [...COUNTY_COLS, ...TARGET_COLS] : COUNTY_COLS;
  }

  function renderCountyHead(cols) {
    const head = $('#county-head');
    head.replaceChildren(...cols.map((col) => {
      const sorted = state.sort.key === col.key;
      const th = el('th', {
        class: col.text ? '' : 'num', scope: 'col', 'data-sort': col.key,
        'aria-sort': sorted ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none',
      });
      th.append(el('button', { type: 'button', 'data-testid': `sort-${col.key}` },
        t(col.label), el('span', { class: 'arrow', text: sorted ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : '' })));
      return th;
    }));
  }

  function renderCounties() {
    const cols = countyCols();
    renderCountyHead(cols);
    const m = state.counties.get(currentYear()) || new Map();
    const col = cols.find((c) => c.key === state.sort.key) || cols[1];
    const coll = new Intl.Collator(lang);
    const rows = [...m.entries()].sort(([ca, a], [cb, b]) => {
      const get = col.rank || col.get;
      const va = get(a, ca), vb = get(b, cb);
      const r = col.text ? coll.compare(String(va), String(vb)) : (va ?? -1) - (vb ?? -1);
      return r * state.sort.dir || coll.compare(a.county_name || ca, b.county_name || cb);
    });
    const body = $('#county-body');
    if (!rows.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: cols.length, class: 'empty', text: t('nodata') })));
      return;
    }
    body.replaceChildren(...rows.map(([code, c]) => el('tr', { 'data-testid': `county-row-${code}`, 'data-county': code },
      cols.map((k) => {
        const v = k.get(c, code);
        if (k.text) return el('th', { scope: 'row', 'data-col': k.key, 'data-value': code }, v, el('small', { class: 'code', text: code }));
        if (k.pace) {
          return el('td', { 'data-col': k.key, 'data-value': v ?? '' },
            Object.hasOwn(PACE_RANK, v ?? '') ? el('span', { class: `badge pace-${v}`, text: t(`pace.${v}`) }) : '–');
        }
        return el('td', { class: 'num', 'data-col': k.key, 'data-value': v ?? '', text: (k.fmt || num)(v) });
      }))));
  }

  // ---- trips -------------------------------------------------------------------
  function tripGroup(card, today) {
    if (card.status === 'cancelled') return 'cancelled';
    if (card.status === 'completed') return 'completed';
    const end = card.end_date || card.date;
    if (card.date <= today && today <= end) return 'in_progress';
    if (card.date > today) return 'upcoming';
    return 'past'; // planned, over, not yet marked completed
  }

  function tripCard(id, card, group) {
    const pr = state.tripProgress.get(id) || {};
    const site = card.site || {};
    const roleEntries = ROLES.filter((r) => card.roles?.[r] || card.capacity?.[r] !== undefined).map((r) => {
      const e = card.roles?.[r] || { capacity: card.capacity[r], open: card.capacity[r], waitlisted: 0 };
      return el('li', { class: `role${e.open > 0 ? '' : ' full'}`, 'data-role': r, 'data-open': e.open, 'data-capacity': e.capacity },
        el('span', { class: 'role-name', text: t(`role.${r}`) }),
        el('span', { class: 'role-open', text: t('trip.open_of', { open: num(e.open), capacity: num(e.capacity) }) }),
        e.waitlisted > 0 ? el('span', { class: 'role-wait', text: t('trip.waitlisted', { n: num(e.waitlisted) }) }) : null);
    });
    // Registered = confirmed places (attendance), else the roles' confirmed sum.
    const registered = pr.attendance?.registered ??
      (card.roles ? Object.values(card.roles).reduce((a, r) => a + (r.confirmed || 0), 0) : undefined);
    const fig = (field, label, v) => el('div', {}, el('dt', { text: t(label) }),
      el('dd', { 'data-field': field, 'data-value': v ?? '', text: num(v) }));
    const agents = [...state.devices.entries()].filter(([, a]) => a.trip_id === id);
    const when = card.end_date && card.end_date !== card.date
      ? t('trip.days', { from: fmtDate(card.date), to: fmtDate(card.end_date) }) : fmtDate(card.date);
    return el('article', { class: `card trip g-${group}`, 'data-testid': `trip-${id}`, 'data-group': group, 'data-status': card.status },
      el('header', {}, el('h4', { text: card.title || id }), el('span', { class: 'trip-id', text: id })),
      el('p', { class: 'when', text: when }),
      el('p', { class: 'where' },
        [site.name, site.township, site.county_name || site.county].filter(Boolean).join(' · '),
        site.poor_village ? el('span', { class: 'badge small', text: t('trip.poor_village') }) : null),
      roleEntries.length ? el('div', { class: 'roles' }, el('span', { class: 'k', text: t('trip.places_open') }), el('ul', {}, roleEntries)) : null,
      el('dl', { class: 'trip-figs' },
        fig('registered', 'trip.registered', registered),
        fig('checkins', 'trip.checkins', pr.checkins),
        fig('consultations', 'trip.consultations', pr.consultations?.count),
        fig('staff', 'trip.staff', pr.staff?.count)),
      agents.length ? el('p', { class: 'trip-agents' }, el('span', { class: 'k', text: t('trip.agents') }),
        agents.map(([aid, a]) => el('span', { class: `agent-chip ${a.online ? 'on' : 'off'}`, 'data-state': deviceState(a), text: aid }))) : null);
  }

  function renderTrips() {
    const year = currentYear();
    const today = state.today;
    const groups = Object.fromEntries(GROUPS.map((g) => [g, []]));
    for (const [id, card] of state.trips) {
      if (!card || !card.date) continue;
      const g = tripGroup(card, today);
      // Current and coming trips always; finished ones of the selected year.
      if ((g === 'in_progress' || g === 'upcoming') || card.date.startsWith(`${year}-`)) groups[g].push([id, card]);
    }
    const asc = (a, b) => a[1].date.localeCompare(b[1].date) || a[0].localeCompare(b[0]);
    const out = [];
    for (const g of GROUPS) {
      const list = groups[g].sort(g === 'upcoming' || g === 'in_progress' ? asc : (a, b) => asc(b, a));
      if (g === 'past' && !list.length) continue;
      const title = t(`group.${g}`);
      const sec = el(g === 'completed' || g === 'cancelled' ? 'details' : 'section',
        { class: `trip-group g-${g}`, 'data-testid': `trips-${g}`, open: true });
      const h = el('h3', {}, title, el('span', { class: 'count', text: ` (${num(list.length)})` }));
      sec.append(sec.tagName === 'DETAILS' ? el('summary', {}, h) : h);
      sec.append(list.length ? el('div', { class: 'trip-grid' }, list.map(([id, c]) => tripCard(id, c, g)))
        : el('p', { class: 'empty', text: t('trips.none') }));
      out.push(sec);
    }
    // Keep the user's open/closed choice of the collapsible groups.
    const openState = {};
    for (const d of document.querySelectorAll('#trips details')) openState[d.dataset.testid] = d.open;
    $('#trips').replaceChildren(...out);
    for (const d of document.querySelectorAll('#trips details')) if (d.dataset.testid in openState) d.open = openState[d.dataset.testid];
  }

  // ---- devices (devices/+: the coordinator's view, the same in every browser) --
  // online: true after a birth, false after the will, null: never sent a status
  // (an agent that only used report/sync).
  const deviceState = (d) => (d.online === true ? 'online' : d.online === false ? 'offline' : 'no_status');
  const ranges = (list) => (Array.isArray(list) ? list : [])
    .filter((r) => Array.isArray(r) && isNum(r[0]) && isNum(r[1]));
  function renderAgents() {
    const body = $('#agent-body');
    const rows = [...state.devices.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    if (!rows.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'empty', text: t('agents.none') })));
      return;
    }
    body.replaceChildren(...rows.map(([id, a]) => {
      const st = deviceState(a);
      const heard = typeof a.last_heard === 'string' ? a.last_heard : null;
      const miss = ranges(a.missing);
      const more = isNum(a.missing_ranges) && a.missing_ranges > miss.length;
      const missText = miss.map(([lo, hi]) => (lo === hi ? num(lo) : `${num(lo)}–${num(hi)}`)).join(', ') + (more ? ', …' : '');
      return el('tr', { 'data-testid': `agent-${id}`, 'data-state': st, class: st === 'online' ? 'on' : 'off' },
        el('th', { scope: 'row', text: id }),
        el('td', {}, el('span', { class: `badge state ${st === 'online' ? 'on' : st === 'offline' ? 'off' : 'none'}`, 'data-field': 'state', text: t(`agent.${st}`) }),
          a.status_since && st !== 'no_status' ? el('small', { class: 'ago', 'data-field': 'status_since', 'data-value': a.status_since, title: fmtTs(a.status_since), text: ` ${t('agent.since', { time: fmtAgo(a.status_since) })}` }) : null),
        el('td', { 'data-field': 'trip', 'data-value': a.trip_id || '', text: a.trip_id || '–' }),
        el('td', { 'data-field': 'last_heard', 'data-value': heard || '' },
          heard ? fmtTs(heard) : t('agent.never_heard'),
          heard ? el('small', { class: 'ago', text: ` ${fmtAgo(heard)}` }) : null),
        el('td', { class: 'num', 'data-field': 'pending', 'data-value': a.pending ?? '', text: num(a.pending) }),
        el('td', { class: 'num', 'data-field': 'last_seq', 'data-value': a.last_seq ?? '', text: num(a.last_seq) }),
        el('td', { class: `num${a.missing_count > 0 ? ' missing' : ''}`, 'data-field': 'missing_count', 'data-value': a.missing_count ?? '' },
          num(a.missing_count),
          miss.length ? el('small', { class: 'ranges', 'data-field': 'missing', 'data-value': miss.map(([lo, hi]) => `${lo}-${hi}`).join(' '), text: ` (${missText})` }) : null));
    }));
  }

  // ---- alerts (alerts/+): the open ones at the top -----------------------------
  // The words are made here from kind + subject + detail (never sent as text).
  const LEVEL_RANK = { critical: 0, warning: 1 };
  function countyName(year, code) {
    return state.counties.get(year)?.get(code)?.county_name ||
      state.coverage.get(year)?.by_county?.find?.((c) => c && c.county === code)?.county_name || code;
  }
  function alertText(a) {
    const s = a.subject && typeof a.subject === 'object' ? a.subject : {};
    const d = a.detail && typeof a.detail === 'object' ? a.detail : {};
    switch (a.kind) {
      case 'site_silent':
        return t(d.offline ? 'alert.site_silent.offline' : 'alert.site_silent.quiet',
          { agent: s.agent_id ?? '?', trip: s.trip_id ?? '?', minutes: num(d.minutes_silent) });
      case 'county_behind': {
        // One figure behind (or a detail from before shortfalls): that one;
        // both: each named, as the coordinator lists them.
        const figureWords = (f) => ({
          figure: t(`alert.figure.${f.figure === 'staff' ? 'staff' : 'consultations'}`),
          share: isNum(f.share_behind) ? formatter('pct').format(f.share_behind) : '–',
          count: num(f.count), expected: num(f.expected),
        });
        const where = { county: countyName(s.year, s.county ?? '?'), year: String(s.year ?? '?') };
        const all = Array.isArray(d.shortfalls) ? d.shortfalls.filter((f) => f && typeof f === 'object') : [];
        if (all.length < 2)
          return t('alert.county_behind', { ...where, ...figureWords(d) });
        return t('alert.county_behind.all', {
          ...where, shortfalls: all.map((f) => t('alert.shortfall', figureWords(f))).join(t('alert.shortfall.sep')),
        });
      }
      case 'seq_gap':
        return t(d.missing === 1 ? 'alert.seq_gap.one' : 'alert.seq_gap', // "1 report"
          { agent: s.agent_id ?? '?', missing: num(d.missing), minutes: num(d.oldest_gap_minutes) });
      default:
        return t('alert.other', { kind: String(a.kind ?? '?'), id: String(a.alert_id ?? '') });
    }
  }
  function renderAlerts() {
    const open = [...state.alerts.entries()].filter(([, a]) => a.state === 'open')
      .sort(([ia, a], [ib, b]) => (LEVEL_RANK[a.level] ?? 2) - (LEVEL_RANK[b.level] ?? 2) ||
        (Date.parse(a.since) || 0) - (Date.parse(b.since) || 0) || ia.localeCompare(ib));
    const sec = $('#alerts');
    sec.dataset.value = String(open.length);
    sec.classList.toggle('has-open', open.length > 0);
    $('#alerts-h').textContent = open.length ? t('alerts.title_n', { n: num(open.length) }) : t('alerts.title');
    $('#alert-list').replaceChildren(...(open.length ? open.map(([id, a]) => {
      const level = a.level === 'critical' ? 'critical' : 'warning';
      return el('li', { class: `alert lv-${level}`, 'data-testid': `alert-${id}`, 'data-kind': a.kind, 'data-level': level, 'data-state': a.state },
        el('span', { class: 'badge level', 'data-field': 'level', 'data-value': level, text: t(`alert.level.${level}`) }),
        el('span', { class: 'alert-text', 'data-field': 'text', text: alertText(a) }),
        el('span', { class: 'alert-since', 'data-field': 'since', 'data-value': a.since ?? '', title: fmtTs(a.since) },
          t('alert.since', { time: fmtTs(a.since) }), el('small', { class: 'ago', text: ` ${fmtAgo(a.since)}` })));
    }) : [el('li', { class: 'empty', 'data-testid': 'alerts-none', text: t('alerts.none') })]));
  }

  // ---- poor-village coverage (progress/{year}/coverage) -------------------------
  const share = (part, all) => (isNum(part) && isNum(all) && all > 0 ? part / all : null);
  const pct = (r) => (r === null ? '–' : formatter('pct').format(r));
  function renderCoverage() {
    const year = currentYear();
    const c = state.coverage.get(year);
    const box = $('#coverage');
    if (!c) { box.replaceChildren(el('p', { class: 'empty card pad', 'data-testid': 'coverage-none', text: t('coverage.none') })); return; }
    const r = share(c.reached, c.poor_villages);
    const counties = Array.isArray(c.by_county) ? c.by_county.filter((x) => x && typeof x === 'object') : [];
    const notReached = Array.isArray(c.not_reached) ? c.not_reached.filter((x) => x && typeof x === 'object') : [];
    const nameOf = new Map(counties.map((x) => [x.county, x.county_name || x.county]));
    const fill = el('div', { class: 'fill' });
    fill.style.width = `${Math.max(0, Math.min(100, 100 * (r ?? 0)))}%`; // CSSOM: allowed by the CSP
    const row = (cls, testid, label, code, x) => el('tr', { class: cls, 'data-testid': testid },
      el('th', { scope: 'row' }, label, code ? el('small', { class: 'code', text: code }) : null),
      el('td', { class: 'num', 'data-col': 'poor_villages', 'data-value': x.poor_villages ?? '', text: num(x.poor_villages) }),
      el('td', { class: 'num', 'data-col': 'reached', 'data-value': x.reached ?? '', text: num(x.reached) }),
      el('td', { class: 'num', 'data-col': 'not_reached', 'data-value': isNum(x.poor_villages) && isNum(x.reached) ? x.poor_villages - x.reached : '',
        text: isNum(x.poor_villages) && isNum(x.reached) ? num(x.poor_villages - x.reached) : '–' }),
      el('td', { class: 'num', 'data-col': 'share', 'data-value': share(x.reached, x.poor_villages) ?? '', text: pct(share(x.reached, x.poor_villages)) }));
    const rows = counties.flatMap((x) => [
      row('county', `coverage-county-${x.county}`, x.county_name || x.county, x.county, x),
      ...(Array.isArray(x.townships) ? x.townships : []).filter((tw) => tw && typeof tw === 'object').map((tw) =>
        row('township', `coverage-township-${x.county}-${tw.township}`, String(tw.township ?? '–'), null, tw)),
    ]);
    box.replaceChildren(
      el('div', { class: 'card coverage-sum' },
        el('div', { class: 'big' },
          el('span', { class: 'count', 'data-testid': 'coverage-reached', 'data-value': c.reached ?? '', text: num(c.reached) }),
          el('span', { class: 'target', 'data-testid': 'coverage-poor', 'data-value': c.poor_villages ?? '', text: t('coverage.of', { n: num(c.poor_villages) }) }),
          el('span', { class: 'badge', 'data-testid': 'coverage-share', 'data-value': r ?? '', text: pct(r) })),
        el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': c.poor_villages ?? 0, 'aria-valuenow': c.reached ?? 0 },
          fill)),
      el('div', { class: 'table-wrap card' },
        el('table', { class: 'data', 'data-testid': 'coverage-table' },
          el('thead', {}, el('tr', {}, ['coverage.col.place', 'coverage.col.poor', 'coverage.col.reached', 'coverage.col.not_reached', 'coverage.col.share']
            .map((k, i) => el('th', { class: i ? 'num' : '', scope: 'col', text: t(k) })))),
          el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 5, class: 'empty', text: t('nodata') }))))),
      el('details', { class: 'not-reached', 'data-testid': 'not-reached', open: true },
        el('summary', {}, el('h3', {}, t('coverage.not_reached'),
          el('span', { class: 'count', 'data-testid': 'not-reached-count', 'data-value': notReached.length, text: ` (${num(notReached.length)})` }))),
        notReached.length ? el('div', { class: 'table-wrap card scroll' },
          el('table', { class: 'data', 'data-testid': 'not-reached-table' },
            el('thead', {}, el('tr', {}, ['coverage.col.code', 'coverage.col.village', 'coverage.col.township', 'coverage.col.county']
              .map((k) => el('th', { scope: 'col', text: t(k) })))),
            el('tbody', {}, notReached.map((v) => el('tr', { 'data-testid': `not-reached-${v.code}` },
              el('td', { class: 'code-cell', 'data-col': 'code', text: String(v.code ?? '') }),
              el('td', { 'data-col': 'name', text: String(v.name ?? '') }),
              el('td', { 'data-col': 'township', text: String(v.township ?? '') }),
              el('td', { 'data-col': 'county', 'data-value': v.county ?? '', text: String(nameOf.get(v.county) || v.county || '') }))))))
          : el('p', { class: 'empty', text: t('coverage.all_reached') })));
  }

  // ---- months (progress/{year}/months) and the picked month's detail ------------
  const MONTH_COLS = [
    { key: 'consultations', label: 'metric.consultations' },
    { key: 'female', label: 'month.female' },
    { key: 'over_60', label: 'month.over_60' },
    { key: 'poor_households', label: 'month.poor_households' },
    { key: 'staff', label: 'col.staff', noSum: true }, // distinct people: months do not add up
    { key: 'value_fen', label: 'col.medicine', fmt: yuan },
    { key: 'referrals', label: 'col.referrals' },
    { key: 'attendees', label: 'month.attendees' },
  ];
  function pickedMonth(year) {
    if (state.selectedMonth) return state.selectedMonth;
    return Number(state.today.slice(0, 4)) === year ? Number(state.today.slice(5, 7)) : 12;
  }
  function renderMonths() {
    const year = currentYear();
    // The scope: every county (progress/{year}/months) or one (…/counties/{county}/months).
    const cm = state.countyMonths.get(year) || new Map();
    const coll = new Intl.Collator(lang);
    const scopes = [...cm.entries()].map(([code, d]) => [code, d.county_name || countyName(year, code)])
      .sort((a, b) => coll.compare(a[1], b[1]));
    const scopeSel = $('#month-scope');
    scopeSel.replaceChildren(el('option', { value: '', text: t('month.scope_all') }),
      ...scopes.map(([code, name]) => el('option', { value: code, text: name })));
    if (state.monthScope && !cm.has(state.monthScope)) state.monthScope = '';
    scopeSel.value = state.monthScope;
    const data = state.monthScope ? cm.get(state.monthScope) : state.months.get(year);
    $('#month-table').dataset.scope = state.monthScope;
    const months = new Map((Array.isArray(data?.months) ? data.months : [])
      .filter((m) => m && isNum(m.month) && m.month >= 1 && m.month <= 12).map((m) => [m.month, m]));
    const picked = pickedMonth(year);
    const mname = (m) => formatter('monthlong').format(new Date(Date.UTC(year, m - 1, 1)));
    const sel = $('#month-select');
    sel.replaceChildren(...Array.from({ length: 12 }, (_, i) => el('option', { value: i + 1, text: mname(i + 1) })));
    sel.value = String(picked);
    $('#month-head').replaceChildren(el('th', { scope: 'col', text: t('month.month') }),
      ...MONTH_COLS.map((c) => el('th', { class: 'num', scope: 'col', text: t(c.label) })));
    const body = $('#month-body');
    if (!data) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: MONTH_COLS.length + 1, class: 'empty', text: t('nodata') })));
      $('#month-foot').replaceChildren();
      $('#month-detail').replaceChildren();
      return;
    }
    body.replaceChildren(...Array.from({ length: 12 }, (_, i) => {
      const m = months.get(i + 1) || {};
      return el('tr', { 'data-testid': `month-row-${i + 1}`, 'data-month': i + 1, class: i + 1 === picked ? 'picked' : '', 'aria-selected': String(i + 1 === picked) },
        el('th', { scope: 'row', text: mname(i + 1) }),
        MONTH_COLS.map((c) => el('td', { class: 'num', 'data-col': c.key, 'data-value': m[c.key] ?? '', text: (c.fmt || num)(m[c.key]) })));
    }));
    const sum = (k) => [...months.values()].reduce((a, m) => a + (isNum(m[k]) ? m[k] : 0), 0);
    $('#month-foot').replaceChildren(el('tr', { 'data-testid': 'month-total' },
      el('th', { scope: 'row', text: t('month.year_total') }),
      MONTH_COLS.map((c) => (c.noSum ? el('td', { class: 'num', 'data-col': c.key, 'data-value': '', text: '–' })
        : el('td', { class: 'num', 'data-col': c.key, 'data-value': sum(c.key), text: (c.fmt || num)(sum(c.key)) })))));
    // The picked month in detail.
    const m = months.get(picked) || {};
    const fig = (field, label, v, fmt = num) => el('div', {}, el('dt', { text: label }),
      el('dd', { 'data-field': field, 'data-value': v ?? '', text: fmt(v) }));
    const group = (title, ...figs) => el('section', { class: 'card month-box' }, el('h4', { text: title }), el('dl', {}, figs.flat()));
    const detail = $('#month-detail');
    detail.dataset.month = String(picked);
    detail.replaceChildren(
      el('h3', { 'data-testid': 'month-detail-title', text: t('month.detail', { month: mname(picked), year: String(year) }) +
        (state.monthScope ? ` · ${scopeSel.selectedOptions[0]?.textContent ?? state.monthScope}` : '') }),
      el('div', { class: 'month-grid' },
        group(t('month.by_department'), fig('consultations', t('metric.consultations'), m.consultations),
          DEPARTMENTS.map((d) => fig(`dep-${d}`, t(`dep.${d}`), m.by_department?.[d]))),
        group(t('month.groups'), fig('female', t('month.female'), m.female), fig('over_60', t('month.over_60'), m.over_60),
          fig('poor_households', t('month.poor_households'), m.poor_households), fig('staff', t('col.staff'), m.staff)),
        group(t('summary.medicine'), fig('value_fen', t('month.value'), m.value_fen, cny), fig('dispenses', t('month.dispenses'), m.dispenses)),
        group(t('summary.referrals'), fig('referrals', t('month.referrals_all'), m.referrals),
          DESTINATIONS.map((d) => fig(`dest-${d}`, t(`dest.${d}`), m.by_destination?.[d])),
          URGENCIES.map((u) => fig(`urg-${u}`, t(`urg.${u}`), m.by_urgency?.[u]))),
        group(t('month.education'), fig('talks', t('month.talks'), m.talks), fig('brochures', t('month.brochures'), m.brochures),
          fig('attendees', t('month.attendees'), m.attendees), fig('education', t('month.education_reports'), m.education))));
  }

  // ---- language ----------------------------------------------------------------
  function applyLang() {
    document.documentElement.lang = lang;
    document.title = t('title');
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    $('#lang-switch').textContent = t('lang.switch');
    $('#lang-switch').setAttribute('aria-label', lang === 'en' ? '切换到中文' : 'Switch to English');
    setConn(state.conn);
    loginError($('[data-testid="login-error"]').dataset.error);
    renderAll();
  }
  function setLang(l) {
    lang = LANGS.includes(l) ? l : 'zh-CN';
    try { localStorage.setItem(LANG_KEY, lang); } catch { /* private mode */ }
    applyLang();
  }

  // ---- connection ----------------------------------------------------------------
  function loginError(error) { // an i18n key, or '' to clear
    const e = $('[data-testid="login-error"]');
    e.dataset.error = error || '';
    e.textContent = error ? t(error) : '';
  }
  function showLogin(error) {
    $('#login').hidden = false;
    $('#logout').hidden = true;
    loginError(error);
  }

  function connect(username, password) {
    if (client) client.end(true);
    setConn('connecting');
    const url = BROKER_URL;
    const c = mqtt.connect(url, {
      username, password,
      // The broker accepts from an account only USERNAME or USERNAME.SUFFIX.
      clientId: `${username}.web-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 1000, // mqtt.js reconnects on its own, every second
      connectTimeout: 5000,
      keepalive: 30,
      resubscribe: false, // we subscribe on every connect (retained copies refresh the page)
    });
    client = c;
    window.dashboard.client = c;
    let everConnected = false;
    c.on('connect', () => {
      if (c !== client) return;
      everConnected = true;
      setConn('connected');
      $('#login').hidden = true;
      $('#logout').hidden = false;
      loginError('');
      try {
        sessionStorage.setItem(CRED_KEY, JSON.stringify({ u: username, p: password }));
        localStorage.setItem(USER_KEY, username);
      } catch { /* private mode */ }
      const topics = [`${ROOT}/progress/#`, `${ROOT}/trips/#`, `${ROOT}/devices/+`, `${ROOT}/alerts/+`,
        `${ROOT}/coordinator/status`];
      c.subscribe(topics, { qos: 1 }, (err, granted) => {
        if (err) console.warn('subscribe failed', err);
        for (const g of granted || []) if (g.qos > 2) console.warn('subscription refused', g.topic);
      });
    });
    c.on('message', onMessage);
    c.on('reconnect', () => { if (c === client) setConn('reconnecting'); });
    c.on('close', () => { if (c === client && state.conn === 'connected') setConn('reconnecting'); });
    c.on('offline', () => { if (c === client) setConn(c.options.reconnectPeriod ? 'reconnecting' : 'disconnected'); });
    c.on('error', (err) => {
      if (c !== client) return;
      // CONNACK 4/5 (MQTT 3.1.1) or 0x86/0x87 (MQTT 5): wrong credentials. Stop
      // retrying and ask again; anything else is left to auto-reconnect.
      if ([4, 5, 134, 135].includes(err && err.code)) {
        c.end(true);
        client = null;
        try { sessionStorage.removeItem(CRED_KEY); } catch { /* ignore */ }
        setConn('signed_out');
        showLogin('login.error.auth');
      } else if (!everConnected) {
        loginError('login.error.conn');
      }
    });
  }

  function signOut() {
    if (client) { client.end(true); client = null; }
    try { sessionStorage.removeItem(CRED_KEY); } catch { /* ignore */ }
    setConn('signed_out');
    showLogin();
  }

  // Credentials: the URL fragment (#u=…&p=…, never sent to the server; removed
  // from the address bar at once), else this tab's session, else the form.
  function initialCredentials() {
    const h = new URLSearchParams(location.hash.slice(1));
    if (h.has('p')) {
      history.replaceState(null, '', location.pathname + location.search);
      return { u: h.get('u') || 'dashboard', p: h.get('p') };
    }
    try { return JSON.parse(sessionStorage.getItem(CRED_KEY)); } catch { return null; }
  }

  // ---- start -------------------------------------------------------------------
  window.dashboard = { state, charts, client: null, setLang, get lang() { return lang; }, signOut };

  function init() {
    for (const card of document.querySelectorAll('.card.target')) buildTargetCard(card);
    $('#lang-switch').addEventListener('click', () => setLang(lang === 'zh-CN' ? 'en' : 'zh-CN'));
    $('#logout').addEventListener('click', signOut);
    $('#year-select').addEventListener('change', (e) => {
      state.selectedYear = Number(e.target.value) || null;
      renderAll();
    });
    $('#month-select').addEventListener('change', (e) => {
      state.selectedMonth = Number(e.target.value) || null;
      markDirty('months');
    });
    $('#month-scope').addEventListener('change', (e) => {
      state.monthScope = e.target.value;
      markDirty('months');
    });
    $('#month-body').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-month]');
      if (!tr) return;
      state.selectedMonth = Number(tr.dataset.month);
      markDirty('months');
    });
    $('#county-head').addEventListener('click', (e) => {
      const th = e.target.closest('th[data-sort]');
      if (!th) return;
      const key = th.dataset.sort;
      if (state.sort.key === key) state.sort.dir = -state.sort.dir;
      else state.sort = { key, dir: key === 'county' ? 1 : -1 };
      markDirty('counties');
    });
    $('#login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      connect($('#login-user').value.trim(), $('#login-pass').value);
    });
    const savedUser = localStorage.getItem(USER_KEY);
    if (savedUser) $('#login-user').value = savedUser;
    setInterval(() => markDirty('agents', 'alerts'), 30000); // keep "5 minutes ago" current
    applyLang();
    if (typeof mqtt === 'undefined') { showLogin('login.error.conn'); return; }
    const cred = initialCredentials();
    if (cred && cred.p) connect(cred.u, cred.p);
    else showLogin();
  }
  init();
})();
