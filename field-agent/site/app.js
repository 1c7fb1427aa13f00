// app.js -- the site app's page: sign-in, the registration desk's tally, the
// sync strip. Everything that comes from the device or another phone is set
// with textContent, never as HTML.
'use strict';

// The department names and each entry in words come from describe.js.
const DEPTS = SiteWords.depts;
const T = {
  zh: {
    title: '义诊现场', passcode: '现场口令', staff: '工号', signin: '登录', signout: '退出',
    tally: '登记台计数', female: '女', over60: '60岁以上', poor: '贫困户', send: '立即发送',
    opentaps: '未发送的计数（可撤销）', recent: '最近的记录', lang: 'English',
    online: '在线', offline: '离线', waiting: n => `待发送 ${n} 条`,
    last: t => (t ? `上次回复 ${t}` : '尚无回复'), undo: '撤销', trip: t => `行程 ${t}`,
    notrip: '本设备未设置行程', who: s => `工号 ${s}`, count: (n, w) => `${n}（待发 ${w}）`,
    sent: n => `已生成 ${n} 份报告`, wait: s => `口令错误次数过多，请 ${s} 秒后再试`,
    wrong: '口令错误', failed: '未保存，请重试', offlineNet: '连不上设备，请检查 Wi-Fi',
    pending: '待发送', sent_s: '已发送', acked: '已计入', rejected: '被拒绝',
    today: '今日本点合计', refusedH: '被拒绝的记录', reason: '作废原因（必填）',
    cancelGo: '作废此记录', keep: '保留', needReason: '请填写作废原因',
    cancelAsk: w => `作废这条记录？${w}`, cancelled: n => `已作废第 ${n} 条（作废记录待发送）`,
    cannot: '此记录不能作废',
    // Why not, in Chinese (English shows the device's own sentence).
    whyNot: e => (e.kind === 'void' ? `第 ${e.seq} 条本身是作废记录，作废记录不能再作废`
      : e.voided_by ? `第 ${e.seq} 条已被第 ${e.voided_by} 条作废`
        : e.state === 'rejected' ? `第 ${e.seq} 条已被协调端拒绝，从未计入，不必作废` : e.why_not || ''),
    voidedBy: n => `已被第 ${n} 条作废`,
    correct: '更正并重新发送', corrected: (o, n) => `第 ${o} 条已更正为第 ${n} 条`,
    correctedBy: n => `已更正为第 ${n} 条`, correctForm: n => `请在表格中更正第 ${n} 条`,
    synced: '全部已同步', offlineNote: '离线：记录保存在本设备，联网后自动发送',
    tripLine: (t, s, d) => `${t} · ${s} · ${d}`,
    fallback: t => `本设备还没有行程卡：按配置的行程 ${t} 记录（未核对）`,
    cons: '门诊人次', med: '药品金额', refs: '转诊', edu: '健康教育', staffN: '签到人员',
    eduVal: (b, a, t) => `宣传册 ${b} · 听众 ${a} · 讲座 ${t}`, unsynced: n => `（其中待同步 ${n}）`,
  },
  en: {
    title: 'Free clinic', passcode: 'Site passcode', staff: 'Staff id', signin: 'Sign in',
    signout: 'Sign out', tally: 'Registration desk tally', female: 'Female', over60: 'Over 60',
    poor: 'Poor household', send: 'Send now', opentaps: 'Not sent yet (can be undone)',
    recent: 'Recent entries', lang: '中文', online: 'online', offline: 'offline',
    waiting: n => `${n} waiting`, last: t => (t ? `last answer ${t}` : 'no answer yet'),
    undo: 'Undo', trip: t => `trip ${t}`, notrip: 'no trip set on this device',
    who: s => `staff ${s}`, count: (n, w) => `${n} (${w} to send)`,
    sent: n => `${n} report(s) made`, wait: s => `too many wrong passcodes: try again in ${s} s`,
    wrong: 'wrong passcode', failed: 'not saved: try again',
    offlineNet: 'cannot reach the device: check the Wi-Fi',
    pending: 'waiting', sent_s: 'sent', acked: 'counted', rejected: 'refused',
    today: 'Today at this site', refusedH: 'Refused entries', reason: 'Reason (required)',
    cancelGo: 'Cancel this entry', keep: 'Keep it', needReason: 'say why it is cancelled',
    cancelAsk: w => `Cancel this entry? ${w}`, cancelled: n => `entry #${n} cancelled (the void waits to be sent)`,
    cannot: 'this entry cannot be cancelled', whyNot: e => e.why_not || '', voidedBy: n => `cancelled by #${n}`,
    correct: 'Correct and send again', corrected: (o, n) => `#${o} sent again as #${n}`,
    correctedBy: n => `sent again as #${n}`, correctForm: n => `correct #${n} in its form`,
    synced: 'all synced', offlineNote: 'offline: entries are kept on this device and sent when online',
    tripLine: (t, s, d) => `${t} · ${s} · ${d}`,
    fallback: t => `no trip cards on this device yet: entries go to the configured trip ${t} (not checked)`,
    cons: 'Consultations', med: 'Medicine value', refs: 'Referrals', edu: 'Health education',
    staffN: 'Staff checked in', eduVal: (b, a, t) => `${b} brochures · ${a} attendees · ${t} talks`,
    unsynced: n => ` (${n} not synced)`,
  },
};

let lang = localStorage.getItem('lang') === 'en' ? 'en' : 'zh';
let csrf = '';
let today = null;
const $ = id => document.getElementById(id);
const tr = (k, ...a) => { const v = T[lang][k]; return typeof v === 'function' ? v(...a) : (v ?? k); };
const num = n => SiteWords.number(n, lang);
const yuan = fen => SiteWords.yuan(fen, lang);

async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.headers['X-CSRF-Token'] = csrf;
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return { status: r.status, data };
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = tr(el.dataset.t);
  document.title = tr('title');
  $('lang').textContent = tr('lang');
  for (const b of document.querySelectorAll('.dept')) b.firstChild.textContent = SiteWords.dept(b.dataset.dept, lang);
  render();
  renderRecent();
  renderCancel();
}

function buildDepts() {
  const box = $('depts');
  for (const d of DEPTS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'dept';
    b.dataset.dept = d;
    b.id = 'dept-' + d;
    const name = document.createElement('span');
    name.textContent = SiteWords.dept(d, lang);
    const n = document.createElement('span');
    n.className = 'n';
    b.append(name, n);
    b.addEventListener('click', () => tap(d, b));
    box.append(b);
  }
}

function pressed(id) { return $(id).getAttribute('aria-pressed') === 'true'; }

// The coordinator's refusal (its ack's code and reason, docs/protocol.md) in the
// page's language: the code in words, then the coordinator's own reason.
const REFUSALS = {
  zh: { malformed: '无法读取', schema: '内容不合格', agent_mismatch: '设备不符',
    unknown_trip: '协调服务没有这个行程', trip_cancelled: '行程已取消',
    void_target: '不能作废这条记录', too_large: '内容太大' },
  en: { malformed: 'unreadable', schema: 'a field is wrong', agent_mismatch: 'wrong device',
    unknown_trip: 'the coordinator has no such trip', trip_cancelled: 'the trip is cancelled',
    void_target: 'that entry cannot be cancelled', too_large: 'too large' },
};
function refusal(e) {
  const words = e.code && REFUSALS[lang] && REFUSALS[lang][e.code];
  if (!words) return e.reason || e.code || '';
  if (!e.reason) return words;
  return lang === 'zh' ? `${words}（${e.reason}）` : `${words} (${e.reason})`;
}

async function tap(dept, button) {
  const body = { department: dept, female: pressed('t-female'), over_60: pressed('t-over60'),
    poor: pressed('t-poor') };
  try {
    const r = await api('POST', '/api/taps', body);
    if (r.status === 401) return showSignin();
    if (r.status !== 200) {
      $('tap-msg').className = 'msg';
      $('tap-msg').textContent = (lang === 'zh' && r.data && r.data.message_zh) ||
        (r.data && r.data.message) || tr('failed');
      return;
    }
    $('tap-msg').textContent = '';
    // Saved on the device: now show it.
    for (const id of ['t-female', 't-over60', 't-poor']) $(id).setAttribute('aria-pressed', 'false');
    // Count it here unless the last /api/today answer already had it (a
    // refresh that overtook this reply): else the screen would show one too many.
    if (today && r.data.id > (today.last_tap_id || 0)) {
      today.last_tap_id = r.data.id;
      const d = today.departments[dept];
      d.taps += 1;
      if (today.totals) { today.totals.consultations += 1; today.unsynced.consultations += 1; }
      today.open_taps.unshift({ id: r.data.id, department: dept, female: body.female,
        over_60: body.over_60, poor: body.poor });
      today.open_taps = today.open_taps.slice(0, 10);
      render();
    }
    button.classList.add('flash');
    setTimeout(() => button.classList.remove('flash'), 150);
  } catch (e) {
    $('tap-msg').textContent = tr('offlineNet');
  }
}

async function undo(id) {
  const r = await api('POST', '/api/taps/undo', { id });
  if (r.status !== 200) $('tap-msg').textContent = (r.data && r.data.message) || tr('failed');
  refresh();
}

function render() {
  if (!today) return;
  const net = $('net');
  net.textContent = today.online ? tr('online') : tr('offline');
  net.className = today.online ? 'online' : 'offline';
  $('waiting').textContent = today.online && today.waiting === 0 ? tr('synced') : tr('waiting', today.waiting);
  // "2026-11-22T09:31:05+08:00" -> "09:31:05" (the site's time)
  $('last').textContent = tr('last', today.last_answer && today.last_answer.slice(11, 19));
  const trip = today.trip || {};
  $('trip').textContent = !today.trip_id ? tr('notrip')
    : trip.title ? tr('tripLine', trip.title, `${trip.county_name || ''} ${trip.site_name || ''}`.trim(), trip.date)
      : tr('trip', today.trip_id);
  $('who').textContent = tr('who', today.staff_id);
  const note = $('trip-note');
  const refusal = trip.refusal && (lang === 'zh' ? trip.refusal.zh : trip.refusal.en);
  note.textContent = refusal || (trip.source === 'config' && !trip.cards_known ? tr('fallback', today.trip_id)
    : today.online ? '' : tr('offlineNote'));
  note.className = refusal ? 'note bad' : 'note';
  note.hidden = !note.textContent;
  const offered = trip.departments || DEPTS;
  for (const d of DEPTS) $('dept-' + d).hidden = !offered.includes(d);
  renderTotals();
  renderRefused();
  for (const d of DEPTS) {
    const c = today.departments[d];
    const total = c.taps + c.waiting + c.counted;
    $('dept-' + d).lastChild.textContent = tr('count', total, c.taps + c.waiting);
  }
  const ul = $('open');
  ul.replaceChildren();
  for (const t of today.open_taps) {
    const li = document.createElement('li');
    const s = document.createElement('span');
    s.textContent = SiteWords.tap(t, lang);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'small';
    b.textContent = tr('undo');
    b.addEventListener('click', () => undo(t.id));
    li.append(s, b);
    ul.append(li);
  }
}

function renderTotals() {
  const t = today.totals, u = today.unsynced;
  if (!t) return;
  const rows = [
    ['cons', `${num(t.consultations)}${u.consultations ? tr('unsynced', num(u.consultations)) : ''}`],
    ['med', `${yuan(t.medicine_fen)}${u.medicine_fen ? tr('unsynced', yuan(u.medicine_fen)) : ''}`],
    ['refs', `${num(t.referrals)}${u.referrals ? tr('unsynced', num(u.referrals)) : ''}`],
    ['edu', tr('eduVal', num(t.brochures), num(t.attendees), num(t.talks))],
    ['staffN', num(t.staff)],
  ];
  const dl = $('totals');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = tr(k);
    const dd = document.createElement('dd');
    dd.id = 'total-' + k;
    dd.textContent = v;
    dl.append(dt, dd);
  }
}

// One line for an entry: its number, kind and what it contained, in the
// page's language (describe.js).
function line(e) { return SiteWords.describe(e, lang); }

function renderRefused() {
  const ul = $('refused');
  ul.replaceChildren();
  for (const e of today.refused || []) {
    const li = document.createElement('li');
    li.className = 'refused';
    li.id = 'refused-' + e.seq;
    const s = document.createElement('span');
    s.textContent = line(e);
    const why = document.createElement('span');
    why.className = 'state-rejected';
    why.textContent = `${tr('rejected')}: ${refusal(e)}`;
    li.append(s, why);
    if (e.corrected_by) {
      const d = document.createElement('span');
      d.textContent = tr('correctedBy', e.corrected_by);
      li.append(d);
    } else {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'small';
      b.textContent = tr('correct');
      b.addEventListener('click', () => correct(e));
      li.append(b);
    }
    ul.append(li);
  }
}

// Correct and send again: a headcount goes again with its values; any other
// kind is handed to its form (forms.js listens for 'site:correct' and fills
// the form from GET /api/entry?seq=N).
async function correct(e) {
  if (e.kind !== 'headcount') {
    const r = await api('GET', `/api/entry?seq=${e.seq}`);
    const handled = r.status === 200 &&
      !document.dispatchEvent(new CustomEvent('site:correct', { detail: r.data, cancelable: true }));
    $('recent-msg').className = 'msg';
    if (!handled) $('recent-msg').textContent = tr('correctForm', e.seq);
    return;
  }
  const r = await api('POST', '/api/correct', { seq: e.seq });
  $('recent-msg').className = r.status === 200 ? 'msg ok' : 'msg';
  $('recent-msg').textContent = r.status === 200 ? tr('corrected', e.seq, r.data.seq)
    : (lang === 'zh' && r.data && r.data.message_zh) || (r.data && r.data.message) || tr('failed');
  refresh();
}

let cancelling = null;
function askCancel(e) {
  if (!e.can_void) {
    $('recent-msg').className = 'msg';
    $('recent-msg').textContent = `${tr('cannot')}${lang === 'zh' ? '：' : ': '}${tr('whyNot', e)}`;
    return;
  }
  cancelling = e;
  renderCancel();
  $('cancel-reason').value = '';
  $('cancel-box').hidden = false;
  $('cancel-box').scrollIntoView({ block: 'center' });
  $('cancel-reason').focus();
}

function renderCancel() {
  if (cancelling) $('cancel-what').textContent = tr('cancelAsk', line(cancelling));
}

async function doCancel() {
  const reason = $('cancel-reason').value.trim();
  if (!cancelling) return;
  if (!reason) { $('recent-msg').className = 'msg'; $('recent-msg').textContent = tr('needReason'); return; }
  const r = await api('POST', '/api/void', { seq: cancelling.seq, reason });
  $('recent-msg').className = r.status === 200 ? 'msg ok' : 'msg';
  $('recent-msg').textContent = r.status === 200 ? tr('cancelled', cancelling.seq) : (r.data && r.data.message) || tr('failed');
  $('cancel-box').hidden = true;
  cancelling = null;
  refresh();
}

let recent = [];
async function refreshRecent() {
  const r = await api('GET', '/api/recent');
  if (r.status !== 200) return;
  recent = r.data.entries;
  renderRecent();
}

function renderRecent() {
  const ul = $('recent');
  ul.replaceChildren();
  for (const e of recent) {
    const li = document.createElement('li');
    li.className = 'entry' + (e.voided_by ? ' voided' : '');
    li.id = 'entry-' + e.seq;
    li.tabIndex = 0;
    const s = document.createElement('span');
    s.textContent = line(e);
    const st = document.createElement('span');
    st.className = 'state-' + e.state;
    st.textContent = e.voided_by ? tr('voidedBy', e.voided_by)
      : tr(e.state === 'sent' ? 'sent_s' : e.state) + (e.reason || e.code ? `: ${refusal(e)}` : '');
    li.append(s, st);
    li.addEventListener('click', () => askCancel(e));
    ul.append(li);
  }
}

async function refresh() {
  try {
    const r = await api('GET', '/api/today');
    if (r.status === 401) return showSignin();
    if (r.status === 200) { today = r.data; render(); }
    await refreshRecent();
  } catch (e) {
    $('net').textContent = tr('offlineNet');
    $('net').className = 'offline';
  }
}

function showSignin() {
  $('main').hidden = true;
  $('signin').hidden = false;
}

function showMain(session) {
  csrf = session.csrf;
  $('signin').hidden = true;
  $('main').hidden = false;
  refresh();
}

async function signin(ev) {
  ev.preventDefault();
  const r = await api('POST', '/api/signin', { passcode: $('passcode').value, staff_id: $('staff').value });
  $('passcode').value = '';
  if (r.status === 200) { $('signin-msg').textContent = ''; return showMain(r.data); }
  if (r.status === 429) $('signin-msg').textContent = tr('wait', Math.ceil(r.data.retry_after));
  else if (r.status === 401) $('signin-msg').textContent = tr('wrong');
  else $('signin-msg').textContent = (r.data && r.data.message) || tr('failed');
}

async function start() {
  buildDepts();
  applyLang();
  // forms.js handed over the names of units, destinations, roles, ...
  document.addEventListener('site:labels', () => { render(); renderRecent(); renderCancel(); });
  $('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('lang', lang);
    applyLang();
  });
  for (const id of ['t-female', 't-over60', 't-poor'])
    $(id).addEventListener('click', () => $(id).setAttribute('aria-pressed', String(!pressed(id))));
  $('signin-form').addEventListener('submit', signin);
  $('send').addEventListener('click', async () => {
    const r = await api('POST', '/api/send', {});
    $('tap-msg').textContent = r.status === 200 ? tr('sent', r.data.reports) : tr('failed');
    $('tap-msg').className = r.status === 200 ? 'msg ok' : 'msg';
    refresh();
  });
  $('cancel-go').addEventListener('click', doCancel);
  $('cancel-no').addEventListener('click', () => { $('cancel-box').hidden = true; cancelling = null; });
  $('signout').addEventListener('click', async () => {
    await api('POST', '/api/signout', {});
    showSignin();
  });
  const r = await api('GET', '/api/session').catch(() => ({ status: 0 }));
  if (r.status === 200) showMain(r.data); else showSignin();
  setInterval(() => { if (!$('main').hidden) refresh(); }, 2000);
}

document.addEventListener('DOMContentLoaded', start);
