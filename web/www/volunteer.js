// volunteer.js -- the volunteer sign-up page: MQTT 5 over WebSockets to the
// broker that serves this page, speaking wire contract v1 (docs/protocol.md,
// "Requests and replies"; schemas/volunteer-request, reply, notice and
// trip-card). Sign in with the volunteer account, set the profile, register
// for open trips, cancel, and see promotions and cancellations as they come.
//
// Privacy: the phone number is read from its input only to build the
// profile.set request; it is never stored (no localStorage), logged or shown.
// Everything from the network is rendered with textContent, never as HTML.
(() => {
  'use strict';

  const ROOT = 'outreach/v1';
  // The broker: the page's own host and port (ws://, or wss:// over https).
  // Served over https by the site's web server, a page reaches Mosquitto's TLS
  // WebSockets listener on the same host by ?wss_port=PORT (broker-config/README.md).
  const WSS_PORT = (new URLSearchParams(location.search).get('wss_port') || '').match(/^[1-9][0-9]{0,4}$/)?.[0];
  const BROKER_URL = location.protocol !== 'https:' ? `ws://${location.host}/`
    : `wss://${WSS_PORT ? `${location.hostname}:${WSS_PORT}` : location.host}/`;
  const ROLES = ['doctor', 'nurse', 'pharmacist', 'technician', 'health_promoter', 'support'];
  const REQUEST_TIMEOUT_MS = 10000;
  const SESSION_EXPIRY_S = 7 * 24 * 3600; // notices sent while away wait at the broker
  const NOTICES_KEPT = 20;
  // Mosquitto 2.0 closes a connection whose client id connects again without
  // telling it why (no DISCONNECT 142). Connections that keep closing this
  // soon after they opened mean the account is in use somewhere else.
  const SHORT_LIVED_MS = 5000;
  const SHORT_LIVED_MAX = 3;
  const ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
  const PHONE_RE = /^\+?[0-9][0-9 -]{5,31}$/;
  const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
  const LS_LANG = 'outreach.lang';
  const LS_LAST_USER = 'outreach.volunteer.last';
  const lsRoles = (vid) => `outreach.volunteer.${vid}.roles`;
  const lsNotices = (vid) => `outreach.volunteer.${vid}.notices`;

  // ---------------------------------------------------------------- texts
  const TEXT = {
    'zh-CN': {
      'app.title': '送医下乡 · 志愿者报名',
      'doc.title': '志愿者报名 · 送医下乡',
      'lang.other': 'English',
      'signout': '退出',
      'signin.title': '登录',
      'signin.user': '志愿者编号',
      'signin.pass': '密码',
      'signin.submit': '登录',
      'signin.hint': '编号和密码由协调员发放。',
      'conn.offline': '未连接',
      'conn.connecting': '连接中…',
      'conn.online': '已连接',
      'conn.auth': '登录被拒绝',
      'conn.taken': '已在别处登录',
      'coord.offline': '协调员目前离线：报名、取消等请求要等它恢复后才有回复。',
      'notices.title': '通知',
      'notices.clear': '清除',
      'notice.promoted': '你已从候补转为正式名额：{trip}，{role}。',
      'notice.trip_cancelled': '行程已取消：{trip}。',
      'notice.trip_cancelled_reason': '行程已取消：{trip}（{reason}）。',
      'notice.waitlist_moved': '候补位次前进：{trip}，{role}，现在第 {n} 位。',
      'notice.other': '通知（{kind}）：{trip}',
      'mine.title': '我的报名',
      'mine.refresh': '刷新',
      'mine.loading': '正在读取…',
      'mine.empty': '还没有报名。在下方选择行程和角色即可报名。',
      'mine.asof': '更新于 {time}',
      'state.confirmed': '已确认',
      'state.waitlisted': '候补第 {n} 位',
      'state.waitlisted_nopos': '候补中',
      'state.cancelled': '已取消',
      'state.trip_cancelled': '行程已取消',
      'trip_status.completed': '行程已结束',
      'cancel': '取消报名',
      'cancel.confirm': '再点一次确认取消',
      'profile.title': '我的资料',
      'profile.name': '姓名',
      'profile.phone': '手机号',
      'profile.org': '单位（选填）',
      'profile.roles': '可担任的角色',
      'profile.privacy': '手机号只发送给协调员，不会显示在页面上。',
      'profile.save': '保存资料',
      'profile.none': '本设备上还没有保存过资料；报名前请先填写。',
      'profile.remote': '你的资料已在协调员处；如需修改，请重新填写并保存。',
      'profile.known': '角色：{roles}',
      'profile.saved': '资料已保存。角色：{roles}',
      'v.name': '请填写姓名（最多 64 个字）。',
      'v.phone': '手机号格式不正确：只能包含数字、空格和“-”，可以“+”开头，6 至 32 位。',
      'v.roles': '请至少选择一个角色。',
      'v.user': '志愿者编号只能包含小写字母、数字、“-”和“_”。',
      'v.pass': '请输入密码。',
      'trips.title': '可报名的行程',
      'trips.count': '{n} 个行程',
      'trips.loading': '正在读取行程…',
      'trips.empty': '目前没有可报名的行程。',
      'trip.poor': '脱贫村',
      'places.open': '空缺 {open} / 共 {cap}',
      'places.detail': '已确认 {c} · 候补 {w}',
      'register': '报名',
      'waitlist': '排队候补',
      'trip.mine': '你已报名：{role} · {state}',
      'flash.confirmed': '报名成功：{trip}，{role}（已确认）。',
      'flash.waitlisted': '名额已满，已加入候补：{trip}，{role}，第 {n} 位。',
      'flash.cancelled': '已取消报名：{trip}。',
      'err.timeout': '协调员 10 秒内没有回复（它在运行吗？）。可以重试：重试不会重复报名。',
      'err.retry': '重试',
      'err.refused': '请求被拒绝（{code}）',
      'err.offline': '未连接到服务器，请稍候再试。',
      'err.publish': '服务器拒绝了请求：{msg}',
      'err.auth': '登录失败：编号或密码不正确。',
      'err.noconn': '无法连接到服务器，正在重试…',
      'err.taken': '该账号在另一个窗口或设备上登录了，本页已断开（同一账号同时只能在一处在线）。',
      'err.here': '在这里重新连接',
      'err.subscribe': '服务器拒绝订阅 {topic}。',
      'late.ok': '之前超时的请求已经完成（{op}）：{text}',
      'err.close': '关闭',
      'code.no_profile': '请先保存资料（姓名、手机号、角色）再报名。',
      'code.role_not_in_profile': '你的资料中没有这个角色；请先在“我的资料”中勾选它。',
      'code.already_registered': '你已经以其他角色报名了这个行程；请先取消。',
      'code.clash': '与你已确认的另一行程日期重叠；请先取消那一个。',
      'code.unknown_trip': '没有这个行程。',
      'code.trip_cancelled': '这个行程已取消。',
      'code.trip_completed': '这个行程已结束。',
      'code.role_not_offered': '这个行程不招募该角色。',
      'code.not_registered': '你没有报名这个行程。',
      'code.malformed': '请求格式有误。',
      'code.schema': '请求中有字段不符合要求。',
      'code.too_large': '请求太大。',
      'role.doctor': '医生',
      'role.nurse': '护士',
      'role.pharmacist': '药师',
      'role.technician': '技师',
      'role.health_promoter': '健康宣教员',
      'role.support': '后勤保障',
      'mode.upper_help': '上级医院帮扶',
      'mode.lower_invite': '邀请基层进修',
      'mode.red_cross': '红十字会',
      'act.clinic': '义诊',
      'act.health': '健康宣教',
      'act.tech': '技术指导',
      'act.mentor': '带教',
      'list.sep': '、',
    },
    en: {
      'app.title': 'Medical outreach · Volunteer sign-up',
      'doc.title': 'Volunteer sign-up · Medical outreach',
      'lang.other': '中文',
      'signout': 'Sign out',
      'signin.title': 'Sign in',
      'signin.user': 'Volunteer ID',
      'signin.pass': 'Password',
      'signin.submit': 'Sign in',
      'signin.hint': 'Your ID and password come from the coordinator.',
      'conn.offline': 'Offline',
      'conn.connecting': 'Connecting…',
      'conn.online': 'Online',
      'conn.auth': 'Sign-in refused',
      'conn.taken': 'Signed in elsewhere',
      'coord.offline': 'The coordinator is offline: requests are answered once it is back.',
      'notices.title': 'Notices',
      'notices.clear': 'Clear',
      'notice.promoted': 'You moved off the wait-list and have a place: {trip}, {role}.',
      'notice.trip_cancelled': 'Trip cancelled: {trip}.',
      'notice.trip_cancelled_reason': 'Trip cancelled: {trip} ({reason}).',
      'notice.waitlist_moved': 'You moved up the wait-list: {trip}, {role}, now #{n}.',
      'notice.other': 'Notice ({kind}): {trip}',
      'mine.title': 'My registrations',
      'mine.refresh': 'Refresh',
      'mine.loading': 'Loading…',
      'mine.empty': 'No registrations yet. Pick a trip and a role below.',
      'mine.asof': 'Updated {time}',
      'state.confirmed': 'Confirmed',
      'state.waitlisted': 'Wait-listed, #{n}',
      'state.waitlisted_nopos': 'Wait-listed',
      'state.cancelled': 'Cancelled',
      'state.trip_cancelled': 'Trip cancelled',
      'trip_status.completed': 'Trip completed',
      'cancel': 'Cancel',
      'cancel.confirm': 'Tap again to cancel',
      'profile.title': 'My profile',
      'profile.name': 'Name',
      'profile.phone': 'Mobile phone',
      'profile.org': 'Organization (optional)',
      'profile.roles': 'Roles you can take',
      'profile.privacy': 'Your phone number goes only to the coordinator; this page never shows it.',
      'profile.save': 'Save profile',
      'profile.none': 'No profile saved on this device yet; set it before registering.',
      'profile.remote': 'The coordinator has your profile; fill it in again to change it.',
      'profile.known': 'Roles: {roles}',
      'profile.saved': 'Profile saved. Roles: {roles}',
      'v.name': 'Enter your name (at most 64 characters).',
      'v.phone': 'Phone number: digits, spaces and "-" only, may start with "+", 6 to 32 characters.',
      'v.roles': 'Choose at least one role.',
      'v.user': 'A volunteer ID has lower-case letters, digits, "-" and "_" only.',
      'v.pass': 'Enter your password.',
      'trips.title': 'Open trips',
      'trips.count': '{n} trips',
      'trips.loading': 'Loading trips…',
      'trips.empty': 'No trips are open for registration.',
      'trip.poor': 'Poor village',
      'places.open': '{open} open of {cap}',
      'places.detail': '{c} confirmed · {w} wait-listed',
      'register': 'Register',
      'waitlist': 'Join wait-list',
      'trip.mine': 'You are registered: {role} · {state}',
      'flash.confirmed': 'Registered: {trip}, {role} (confirmed).',
      'flash.waitlisted': 'No place left; you are on the wait-list: {trip}, {role}, #{n}.',
      'flash.cancelled': 'Registration cancelled: {trip}.',
      'err.timeout': 'No reply from the coordinator within 10 s (is it running?). You can retry: a retry never registers twice.',
      'err.retry': 'Retry',
      'err.refused': 'Refused ({code})',
      'err.offline': 'Not connected to the server; try again in a moment.',
      'err.publish': 'The server refused the request: {msg}',
      'err.auth': 'Sign-in failed: wrong volunteer ID or password.',
      'err.noconn': 'Cannot reach the server; retrying…',
      'err.taken': 'This account signed in from another window or device, so this page disconnected (one place at a time).',
      'err.here': 'Connect here again',
      'err.subscribe': 'The server refused the subscription to {topic}.',
      'late.ok': 'A request that timed out went through after all ({op}): {text}',
      'err.close': 'Close',
      'code.no_profile': 'Save your profile (name, phone, roles) before registering.',
      'code.role_not_in_profile': 'Your profile does not list this role; tick it in “My profile” first.',
      'code.already_registered': 'You are registered for this trip in another role; cancel that first.',
      'code.clash': 'This trip overlaps another trip where you hold a place; cancel that one first.',
      'code.unknown_trip': 'There is no such trip.',
      'code.trip_cancelled': 'This trip is cancelled.',
      'code.trip_completed': 'This trip is completed.',
      'code.role_not_offered': 'This trip takes no volunteers in that role.',
      'code.not_registered': 'You hold no place on this trip.',
      'code.malformed': 'The request was malformed.',
      'code.schema': 'A field of the request is not valid.',
      'code.too_large': 'The request is too large.',
      'role.doctor': 'Doctor',
      'role.nurse': 'Nurse',
      'role.pharmacist': 'Pharmacist',
      'role.technician': 'Technician',
      'role.health_promoter': 'Health promoter',
      'role.support': 'Support',
      'mode.upper_help': 'City hospital help',
      'mode.lower_invite': 'Invited training',
      'mode.red_cross': 'Red Cross',
      'act.clinic': 'Free clinic',
      'act.health': 'Health education',
      'act.tech': 'Technical guidance',
      'act.mentor': 'Mentoring',
      'list.sep': ', ',
    },
  };

  const storage = {
    get(k) { try { return localStorage.getItem(k); } catch { return null; } },
    set(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode: keep going */ } },
    del(k) { try { localStorage.removeItem(k); } catch { /* ignore */ } },
    json(k, fallback) {
      try { const v = JSON.parse(storage.get(k)); return v == null ? fallback : v; } catch { return fallback; }
    },
  };

  let lang = storage.get(LS_LANG) === 'en' ? 'en' : 'zh-CN';

  function t(key, params) {
    const s = TEXT[lang][key] ?? TEXT['zh-CN'][key] ?? key;
    if (!params) return s;
    return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  }
  const num = (n) => new Intl.NumberFormat(lang).format(n);
  const roleName = (r) => (ROLES.includes(r) ? t('role.' + r) : String(r));
  const roleList = (rs) => rs.map(roleName).join(t('list.sep'));

  function dateOf(s) {
    const [y, m, d] = s.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d));
  }
  function fmtDates(start, end) {
    if (typeof start !== 'string' || !DATE_RE.test(start)) return '';
    const f = new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short', timeZone: 'UTC' });
    if (typeof end === 'string' && DATE_RE.test(end) && end !== start) {
      try { return f.formatRange(dateOf(start), dateOf(end)); } catch { /* old browser */ }
      return `${f.format(dateOf(start))} – ${f.format(dateOf(end))}`;
    }
    return f.format(dateOf(start));
  }
  const fmtTime = (ms) => new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' }).format(new Date(ms));

  // "Today" in the volunteer's own calendar; ?today=YYYY-MM-DD overrides it
  // (demos and tests, like the coordinator's OUTREACH_TODAY).
  function today() {
    const q = new URLSearchParams(location.search).get('today');
    if (q && DATE_RE.test(q)) return q;
    const d = new Date();
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  }

  // ---------------------------------------------------------------- state
  const S = {
    vid: null,
    client: null,
    conn: 'offline', // offline | connecting | online | auth | taken
    everConnected: false,
    topics: null,
    cards: new Map(), // trip_id -> card
    cardsSeen: false,
    regs: null, // latest registrations.list reply's array, or null before the first
    regsAt: 0,
    listing: null, // the registrations.list in flight, if any
    listAgain: false,
    byCorr: new Map(), // correlation data (hex) -> pending request
    byRid: new Map(), // request_id -> pending request
    late: new Map(), // request_id -> op, for requests that timed out
    notices: [],
    roles: null, // the roles of the last profile saved from this device
    busy: new Set(), // 'register:TRIP:ROLE', 'cancel:TRIP', 'profile'
    armed: null, // { trip, timer }: a cancel button waiting for its second tap
    error: null, // { key, params, code, reason, action: { key, fn } }
    connectedAt: 0, // when the current connection came up
    shortLived: 0, // connections in a row that closed within SHORT_LIVED_MS
    flash: null, // { key, params }
    flashTimer: null,
    coordOnline: null, // from the coordinator's retained status: true, false, or not known
  };

  let secret = null; // the password, in memory only, to connect again after a takeover
  const tabId = Math.random().toString(36).slice(2);
  // Tabs of this browser tell each other when they connect: the older tab of
  // the same account steps aside instead of taking the session back.
  const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('outreach-volunteer') : null;

  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids) if (kid != null) e.append(kid);
    return e;
  }

  function uuid() {
    // crypto.randomUUID exists only in secure contexts (https, localhost);
    // phones on the site network load the page over plain http.
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

  // ---------------------------------------------------------------- messages (error, flash)
  function showError(e) {
    S.error = e;
    if (e) showFlash(null);
    renderError();
    if (e) $('error').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }
  function showFlash(key, params) {
    clearTimeout(S.flashTimer);
    S.flash = key ? { key, params } : null;
    if (key) S.flashTimer = setTimeout(() => showFlash(null), 12000);
    renderFlash();
  }
  // A refused or failed request: { code, reason } from the coordinator, or our own kind.
  function requestError(err) {
    if (err && err.kind === 'refused') {
      showError({ key: 'err.refused', params: { code: err.code }, code: err.code, reason: err.reason });
    } else if (err && err.kind === 'timeout') {
      showError({ key: 'err.timeout', action: { key: 'err.retry', fn: err.retry } });
    } else if (err && err.kind === 'offline') {
      showError({ key: 'err.offline' });
    } else {
      showError({ key: 'err.publish', params: { msg: (err && err.message) || String(err) } });
    }
  }

  function renderError() {
    const box = $('error');
    box.replaceChildren();
    const e = S.error;
    box.hidden = !e;
    if (!e) return;
    box.dataset.code = e.code || '';
    const text = el('p', { class: 'msg-text' }, el('strong', { text: t(e.key, e.params) }));
    if (e.code) {
      const hint = TEXT[lang]['code.' + e.code];
      if (hint) text.append(' ', hint);
    }
    box.append(text);
    if (e.reason) box.append(el('p', { class: 'msg-reason', lang: 'en', text: e.reason }));
    const tools = el('div', { class: 'msg-tools' });
    if (e.action) {
      tools.append(el('button', {
        type: 'button', class: 'secondary', 'data-testid': 'error-action', text: t(e.action.key),
        onclick: () => { const fn = e.action.fn; showError(null); fn(); },
      }));
    }
    tools.append(el('button', { type: 'button', class: 'link', 'data-testid': 'error-close', text: t('err.close'), onclick: () => showError(null) }));
    box.append(tools);
  }
  function renderFlash() {
    const box = $('flash');
    box.hidden = !S.flash;
    box.textContent = S.flash ? t(S.flash.key, S.flash.params) : '';
  }

  // ---------------------------------------------------------------- connection
  function setConn(state) {
    S.conn = state;
    const c = $('conn');
    c.dataset.state = state;
    c.textContent = t('conn.' + state);
    renderTrips();
    renderRegs();
  }

  function signIn(vid, password) {
    if (!ID_RE.test(vid)) { showError({ key: 'v.user' }); return; }
    if (!password) { showError({ key: 'v.pass' }); return; }
    if (typeof mqtt === 'undefined') { showError({ key: 'err.publish', params: { msg: 'vendor/mqtt.min.js did not load' } }); return; }
    signOut(true);
    showError(null);
    S.vid = vid;
    secret = password;
    S.topics = {
      req: `${ROOT}/volunteers/${vid}/requests`,
      rep: `${ROOT}/volunteers/${vid}/replies`,
      trips: `${ROOT}/trips/+`,
      coord: `${ROOT}/coordinator/status`,
    };
    S.roles = storage.json(lsRoles(vid), null);
    S.notices = storage.json(lsNotices(vid), []);
    if (!Array.isArray(S.notices)) S.notices = [];
    storage.set(LS_LAST_USER, vid);
    const url = BROKER_URL;
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      clientId: `${vid}.web`, // USERNAME.SUFFIX: the only other id the broker accepts
      username: vid,
      password,
      clean: false, // a durable session: notices sent while away are kept for us
      properties: { sessionExpiryInterval: SESSION_EXPIRY_S },
      keepalive: 30,
      connectTimeout: 10000,
      reconnectPeriod: 3000,
      resubscribe: false, // we subscribe on every connect (and get the retained cards again)
    });
    S.client = client;
    setConn('connecting');

    client.on('connect', () => {
      if (S.client !== client) return;
      const first = !S.everConnected;
      S.everConnected = true;
      S.connectedAt = Date.now();
      if (tabs) tabs.postMessage({ type: 'connected', vid, tab: tabId });
      if (S.error && (S.error.key === 'err.noconn')) showError(null);
      setConn('online');
      client.subscribe({ [S.topics.rep]: { qos: 1 }, [S.topics.trips]: { qos: 1 }, [S.topics.coord]: { qos: 1 } }, (err, granted) => {
        if (S.client !== client) return;
        const bad = err ? [{ topic: S.topics.rep }] : (granted || []).filter((g) => g.qos >= 128);
        if (bad.length) showError({ key: 'err.subscribe', params: { topic: bad.map((g) => g.topic).join(', ') } });
      });
      if (first) showApp();
      refreshList();
    });
    client.on('reconnect', () => { if (S.client === client) setConn('connecting'); });
    client.on('offline', () => { if (S.client === client && S.conn === 'online') setConn('offline'); });
    client.on('close', () => {
      if (S.client !== client) return;
      if (S.connectedAt) {
        S.shortLived = Date.now() - S.connectedAt < SHORT_LIVED_MS ? S.shortLived + 1 : 0;
        S.connectedAt = 0;
        if (S.shortLived >= SHORT_LIVED_MAX) { takenOver(); return; }
      }
      if (S.conn === 'online') setConn('offline');
      if (!S.everConnected && S.conn !== 'auth') showError({ key: 'err.noconn' });
    });
    client.on('error', (err) => {
      if (S.client !== client) return;
      // CONNACK refusals: 134 bad user name or password, 135 not authorized
      // (MQTT 5); 4 and 5 are the MQTT 3.1.1 codes.
      if ([4, 5, 134, 135].includes(err && err.code)) {
        client.end(true);
        S.client = null;
        setConn('auth');
        // Mosquitto answers a wrong password with 135 under MQTT 5.
        showError({ key: 'err.auth' });
        showSignIn();
        $('signin-pass').value = '';
        $('signin-pass').focus();
      }
    });
    client.on('disconnect', (packet) => {
      if (S.client !== client) return;
      if (packet && packet.reasonCode === 142) takenOver(); // newer brokers say so
    });
    client.on('message', (topic, payload, packet) => {
      if (S.client === client) onMessage(topic, payload, packet);
    });
  }

  // Another tab or device uses this account: stop (not reconnect and take the
  // session back, which would make the two fight), offer to connect here.
  function takenOver() {
    if (!S.client) return;
    const vid = S.vid, pass = secret;
    S.client.end(true);
    S.client = null;
    S.shortLived = 0;
    setConn('taken');
    showError({ key: 'err.taken', action: { key: 'err.here', fn: () => signIn(vid, pass) } });
  }

  function signOut(quiet) {
    if (S.client) S.client.end(true);
    S.client = null;
    for (const p of S.byCorr.values()) clearTimeout(p.timer);
    S.byCorr.clear();
    S.byRid.clear();
    S.late.clear();
    S.cards.clear();
    S.cardsSeen = false;
    S.regs = null;
    S.listing = null;
    S.everConnected = false;
    S.connectedAt = 0;
    S.shortLived = 0;
    S.coordOnline = null;
    secret = null;
    S.vid = null;
    S.busy.clear();
    disarm();
    if (!quiet) {
      S.flash = null;
      renderFlash();
      showError(null);
      setConn('offline');
      showSignIn();
    }
  }

  function showSignIn() {
    $('signin-view').hidden = false;
    $('app-view').hidden = true;
    $('signout').hidden = true;
    $('who').hidden = true;
  }
  function showApp() {
    $('signin-view').hidden = true;
    $('app-view').hidden = false;
    $('signout').hidden = false;
    $('who').hidden = false;
    $('who').textContent = S.vid;
    $('signin-pass').value = ''; // the client keeps it for reconnecting; the form need not
    for (const box of document.querySelectorAll('#profile-form input[name=role]')) {
      box.checked = Array.isArray(S.roles) && S.roles.includes(box.value);
    }
    $('profile-details').open = false; // opened after the first list, when there is no profile yet
    renderAll();
  }

  // ---------------------------------------------------------------- requests
  function send(op, fields, requestId) {
    return new Promise((resolve, reject) => {
      const client = S.client;
      if (!client || S.conn !== 'online') { reject({ kind: 'offline' }); return; }
      const request_id = requestId || uuid();
      const corr = crypto.getRandomValues(new Uint8Array(16));
      const p = { request_id, op, key: hex(corr), resolve, reject };
      const forget = () => { clearTimeout(p.timer); S.byCorr.delete(p.key); S.byRid.delete(request_id); };
      p.forget = forget;
      p.timer = setTimeout(() => {
        forget();
        S.late.set(request_id, op);
        // A retry resends the same request_id: the coordinator answers it
        // once and a repeat has no second effect.
        reject({ kind: 'timeout', request_id, op, fields });
      }, REQUEST_TIMEOUT_MS);
      S.byCorr.set(p.key, p);
      S.byRid.set(request_id, p);
      const body = JSON.stringify(Object.assign({ request_id, op }, fields));
      client.publish(S.topics.req, body, {
        qos: 1,
        properties: { responseTopic: S.topics.rep, correlationData: corr },
      }, (err) => {
        if (err && S.byRid.get(request_id) === p) { forget(); reject({ kind: 'publish', message: err.message }); }
      });
    }).then((reply) => {
      if (reply.ok === true) return reply;
      throw { kind: 'refused', code: String(reply.code || 'refused'), reason: typeof reply.reason === 'string' ? reply.reason : '' };
    });
  }

  // Runs a request, shows its failure; a timeout offers a retry with the same request_id.
  async function perform(busyKey, op, fields, onOk, requestId) {
    if (busyKey) { S.busy.add(busyKey); renderAll(); }
    try {
      const reply = await send(op, fields, requestId);
      if (S.error && S.error.key !== 'err.subscribe') showError(null);
      onOk(reply);
      return reply;
    } catch (err) {
      if (err && err.kind === 'timeout') err.retry = () => perform(busyKey, op, fields, onOk, err.request_id);
      requestError(err);
      return null;
    } finally {
      if (busyKey) { S.busy.delete(busyKey); renderAll(); }
    }
  }

  function refreshList() {
    if (!S.client) return;
    if (S.listing) { S.listAgain = true; return; }
    const vid = S.vid;
    S.listing = send('registrations.list', {})
      .then((reply) => {
        if (S.vid !== vid) return;
        const first = S.regs === null;
        S.regs = Array.isArray(reply.registrations) ? reply.registrations.filter((r) => r && typeof r.trip_id === 'string') : [];
        S.regsAt = Date.now();
        // A newcomer starts with the profile; someone with registrations has one.
        if (first && !Array.isArray(S.roles) && S.regs.length === 0) $('profile-details').open = true;
      })
      .catch((err) => { if (S.vid === vid) requestError(err); })
      .finally(() => {
        if (S.vid !== vid) return;
        S.listing = null;
        renderAll();
        if (S.listAgain) { S.listAgain = false; refreshList(); }
      });
  }

  // ---------------------------------------------------------------- incoming
  const decoder = new TextDecoder('utf-8');
  function parse(payload) {
    try {
      const v = JSON.parse(decoder.decode(payload));
      return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
    } catch { return null; }
  }

  let renderQueued = false;
  function renderSoon() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(() => { renderQueued = false; renderAll(); }, 50); // retained cards come in a burst
  }

  function onMessage(topic, payload, packet) {
    if (topic === S.topics.rep) { onReply(parse(payload), packet); return; }
    if (topic === S.topics.coord) {
      const st = parse(payload);
      S.coordOnline = st && typeof st.online === 'boolean' ? st.online : null;
      renderCoord();
      return;
    }
    const prefix = `${ROOT}/trips/`;
    if (topic.startsWith(prefix) && !topic.slice(prefix.length).includes('/')) {
      const id = topic.slice(prefix.length);
      const card = payload.length ? parse(payload) : null;
      if (card && card.trip_id === id && typeof card.date === 'string') S.cards.set(id, card);
      else S.cards.delete(id); // an empty retained message removes the card
      S.cardsSeen = true;
      renderSoon();
    }
  }

  function onReply(msg, packet) {
    if (!msg) return;
    if (typeof msg.notice === 'string' && !('ok' in msg)) { onNotice(msg); return; }
    const cd = packet && packet.properties && packet.properties.correlationData;
    const p = (cd && S.byCorr.get(hex(cd))) || (typeof msg.request_id === 'string' && S.byRid.get(msg.request_id));
    if (p) { p.forget(); p.resolve(msg); return; }
    if (typeof msg.request_id === 'string' && S.late.has(msg.request_id)) {
      const op = S.late.get(msg.request_id);
      S.late.delete(msg.request_id);
      if (S.error && S.error.key === 'err.timeout') showError(null);
      if (msg.ok === true) showFlash('late.ok', { op, text: msg.state ? stateText(msg.state, msg.position) : 'ok' });
      else showError({ key: 'err.refused', params: { code: String(msg.code) }, code: String(msg.code), reason: String(msg.reason || '') });
      refreshList();
      return;
    }
    // The answer to another client of this account (the CLI): our places may have changed.
    if (msg.ok === true && typeof msg.state === 'string') refreshList();
  }

  function onNotice(n) {
    if (typeof n.trip_id !== 'string') return;
    const item = { notice: String(n.notice), trip_id: n.trip_id, at: Date.now() };
    if (ROLES.includes(n.role)) item.role = n.role;
    if (Number.isInteger(n.position)) item.position = n.position;
    if (typeof n.reason === 'string') item.reason = n.reason.slice(0, 256);
    S.notices.unshift(item);
    S.notices.length = Math.min(S.notices.length, NOTICES_KEPT);
    storage.set(lsNotices(S.vid), JSON.stringify(S.notices)); // trip ids and roles only
    showFlash(null); // what it said may no longer hold
    renderNotices();
    refreshList();
  }

  // ---------------------------------------------------------------- actions
  function register(tripId, role) {
    const title = tripTitle(tripId);
    perform(`register:${tripId}:${role}`, 'trip.register', { trip_id: tripId, role }, (r) => {
      if (r.state === 'waitlisted') showFlash('flash.waitlisted', { trip: title, role: roleName(role), n: num(r.position || 0) });
      else showFlash('flash.confirmed', { trip: title, role: roleName(role) });
      refreshList();
    });
  }

  function disarm() {
    if (S.armed) clearTimeout(S.armed.timer);
    S.armed = null;
  }
  function cancelClicked(tripId) {
    if (!S.armed || S.armed.trip !== tripId) { // first tap: ask for a second one
      disarm();
      S.armed = { trip: tripId, timer: setTimeout(() => { S.armed = null; renderRegs(); }, 5000) };
      renderRegs();
      return;
    }
    disarm();
    perform(`cancel:${tripId}`, 'trip.cancel', { trip_id: tripId }, () => {
      showFlash('flash.cancelled', { trip: tripTitle(tripId) });
      refreshList();
    });
  }

  function saveProfile(ev) {
    ev.preventDefault();
    const name = $('profile-name').value.trim();
    const phone = $('profile-phone').value.trim();
    const org = $('profile-org').value.trim();
    const roles = Array.from(document.querySelectorAll('#profile-form input[name=role]:checked'), (b) => b.value);
    if (!name || [...name].length > 64) { showError({ key: 'v.name' }); $('profile-name').focus(); return; }
    if (!PHONE_RE.test(phone)) { showError({ key: 'v.phone' }); $('profile-phone').focus(); return; }
    if (!roles.length) { showError({ key: 'v.roles' }); return; }
    const fields = { name, phone, roles };
    if (org) fields.organization = org;
    const vid = S.vid;
    perform('profile', 'profile.set', fields, (r) => {
      const saved = Array.isArray(r.roles) ? r.roles.filter((x) => ROLES.includes(x)) : roles;
      S.roles = saved;
      storage.set(lsRoles(vid), JSON.stringify(saved)); // roles only: never the name or phone
      showFlash('profile.saved', { roles: roleList(saved) });
      renderProfile();
    });
  }

  // ---------------------------------------------------------------- rendering
  function tripTitle(id) {
    const c = S.cards.get(id);
    if (c && typeof c.title === 'string') return c.title;
    const r = (S.regs || []).find((x) => x.trip_id === id && typeof x.title === 'string');
    return r ? r.title : id;
  }

  function stateText(state, position) {
    if (state === 'waitlisted') return Number.isInteger(position) ? t('state.waitlisted', { n: num(position) }) : t('state.waitlisted_nopos');
    const k = 'state.' + state;
    return TEXT[lang][k] ? t(k) : String(state);
  }

  // The latest registration of each trip (the reply lists oldest first).
  function latestRegs() {
    const m = new Map();
    for (const r of S.regs || []) m.set(r.trip_id, r);
    return m;
  }
  const isLive = (r) => r && (r.state === 'confirmed' || r.state === 'waitlisted');

  function renderCoord() {
    const box = $('coord');
    box.hidden = !S.vid || S.coordOnline !== false;
    box.dataset.state = S.coordOnline === null ? 'unknown' : S.coordOnline ? 'online' : 'offline';
    box.textContent = t('coord.offline');
  }

  function renderAll() {
    renderCoord();
    renderError();
    renderFlash();
    renderNotices();
    renderRegs();
    renderTrips();
    renderProfile();
  }

  function renderNotices() {
    const list = $('notice-list');
    list.replaceChildren();
    $('notices').hidden = S.notices.length === 0;
    for (const n of S.notices) {
      const trip = tripTitle(n.trip_id);
      const role = n.role ? roleName(n.role) : '';
      let text;
      if (n.notice === 'promoted') text = t('notice.promoted', { trip, role });
      else if (n.notice === 'trip_cancelled') text = n.reason ? t('notice.trip_cancelled_reason', { trip, reason: n.reason }) : t('notice.trip_cancelled', { trip });
      else if (n.notice === 'waitlist_moved') text = t('notice.waitlist_moved', { trip, role, n: n.position != null ? num(n.position) : '?' });
      else text = t('notice.other', { kind: n.notice, trip });
      list.append(el('li', { class: `notice notice-${n.notice}`, 'data-testid': 'notice', 'data-kind': n.notice, 'data-trip': n.trip_id },
        el('span', { class: 'notice-text', text }),
        el('time', { class: 'hint', datetime: new Date(n.at).toISOString(), text: fmtTime(n.at) })));
    }
  }

  function renderRegs() {
    const list = $('reg-list');
    if (!list || !S.vid) return;
    list.replaceChildren();
    const status = $('mine-status');
    $('mine-refresh').disabled = S.conn !== 'online' || !!S.listing;
    $('mine').dataset.loaded = S.regs === null ? 'false' : 'true';
    if (S.regs === null) { status.textContent = t('mine.loading'); return; }
    const regs = Array.from(latestRegs().values());
    status.textContent = regs.length ? t('mine.asof', { time: fmtTime(S.regsAt) }) : t('mine.empty');
    // Live places first by date; then the rest, latest first.
    regs.sort((a, b) => (isLive(b) - isLive(a)) ||
      (isLive(a) ? String(a.date).localeCompare(String(b.date)) : String(b.date).localeCompare(String(a.date))));
    for (const r of regs) {
      const live = isLive(r) && r.trip_status !== 'completed' && r.trip_status !== 'cancelled';
      const li = el('li', {
        class: `reg reg-${r.state}${live ? '' : ' reg-past'}`,
        'data-testid': `reg-${r.trip_id}`, 'data-state': r.state, 'data-role': r.role,
        'data-position': r.state === 'waitlisted' && Number.isInteger(r.position) ? r.position : '',
      });
      const info = el('div', { class: 'reg-info' },
        el('div', { class: 'reg-title', text: tripTitle(r.trip_id) }),
        el('div', { class: 'hint', text: [fmtDates(r.date), roleName(r.role)].filter(Boolean).join(' · ') }));
      const badge = el('span', { class: `badge badge-${r.state}`, text: stateText(r.state, r.position) });
      const side = el('div', { class: 'reg-side' }, badge);
      if (r.trip_status === 'completed' && isLive(r)) side.append(el('span', { class: 'hint', text: t('trip_status.completed') }));
      if (live) {
        const armed = S.armed && S.armed.trip === r.trip_id;
        side.append(el('button', {
          type: 'button', class: armed ? 'danger' : 'secondary', 'data-testid': `cancel-${r.trip_id}`,
          'data-armed': armed ? 'true' : 'false',
          disabled: S.conn !== 'online' || S.busy.has(`cancel:${r.trip_id}`),
          text: armed ? t('cancel.confirm') : t('cancel'),
          onclick: () => cancelClicked(r.trip_id),
        }));
      }
      li.append(info, side);
      list.append(li);
    }
  }

  function cardRoles(card) {
    // Cards carry roles {capacity, confirmed, waitlisted, open}; an older card
    // without them has capacity only.
    const out = [];
    const roles = card.roles && typeof card.roles === 'object' ? card.roles : null;
    const cap = card.capacity && typeof card.capacity === 'object' ? card.capacity : {};
    for (const role of ROLES) {
      const r = roles ? roles[role] : null;
      const n = (v) => (Number.isInteger(v) && v >= 0 ? v : 0);
      if (r && typeof r === 'object') {
        out.push({ role, capacity: n(r.capacity), confirmed: n(r.confirmed), waitlisted: n(r.waitlisted), open: n(r.open) });
      } else if (n(cap[role]) > 0) {
        out.push({ role, capacity: n(cap[role]), confirmed: 0, waitlisted: 0, open: n(cap[role]) });
      }
    }
    return out.filter((r) => r.capacity > 0 || r.confirmed > 0 || r.waitlisted > 0);
  }

  function renderTrips() {
    const box = $('trip-list');
    if (!box || !S.vid) return;
    box.replaceChildren();
    const day = today();
    const trips = Array.from(S.cards.values())
      .filter((c) => c.status === 'planned' && typeof c.date === 'string' &&
        ((typeof c.end_date === 'string' ? c.end_date : c.date) >= day))
      .sort((a, b) => a.date.localeCompare(b.date) || String(a.trip_id).localeCompare(String(b.trip_id)));
    $('trips-count').textContent = trips.length ? t('trips.count', { n: num(trips.length) }) : '';
    if (!trips.length) {
      box.append(el('p', { class: 'hint empty', 'data-testid': 'trips-empty', text: S.cardsSeen || S.conn === 'online' ? t('trips.empty') : t('trips.loading') }));
      return;
    }
    const mine = latestRegs();
    const online = S.conn === 'online';
    for (const c of trips) {
      const site = c.site && typeof c.site === 'object' ? c.site : {};
      const my = mine.get(c.trip_id);
      const holding = isLive(my);
      const where = [site.name, site.township, site.county_name].filter((x) => typeof x === 'string' && x).join(' · ');
      const tags = el('div', { class: 'tags' });
      if (TEXT[lang]['mode.' + c.mode]) tags.append(el('span', { class: 'tag', text: t('mode.' + c.mode) }));
      for (const a of Array.isArray(c.activities) ? c.activities : []) {
        if (TEXT[lang]['act.' + a]) tags.append(el('span', { class: 'tag', text: t('act.' + a) }));
      }
      if (site.poor_village === true) tags.append(el('span', { class: 'tag tag-poor', text: t('trip.poor') }));

      const art = el('article', { class: `trip${holding ? ' trip-mine' : ''}`, 'data-testid': `trip-${c.trip_id}`, 'data-status': c.status },
        el('header', { class: 'trip-head' },
          el('h3', { text: typeof c.title === 'string' ? c.title : c.trip_id }),
          el('div', { class: 'trip-date', text: fmtDates(c.date, c.end_date) })),
        where ? el('p', { class: 'trip-where', text: where }) : null,
        tags);
      if (holding) {
        art.append(el('p', { class: `trip-mine-note badge-${my.state}`, 'data-testid': `trip-mine-${c.trip_id}`,
          text: t('trip.mine', { role: roleName(my.role), state: stateText(my.state, my.position) }) }));
      }
      const ul = el('ul', { class: 'places' });
      for (const p of cardRoles(c)) {
        const busy = S.busy.has(`register:${c.trip_id}:${p.role}`);
        const notMine = Array.isArray(S.roles) && !S.roles.includes(p.role);
        const li = el('li', {
          class: `place${p.open === 0 ? ' place-full' : ''}${notMine ? ' place-other' : ''}`,
          'data-testid': `places-${c.trip_id}-${p.role}`,
          'data-open': p.open, 'data-capacity': p.capacity, 'data-confirmed': p.confirmed, 'data-waitlisted': p.waitlisted,
        },
        el('span', { class: 'place-role', text: roleName(p.role) }),
        el('span', { class: 'place-count' },
          el('strong', { text: t('places.open', { open: num(p.open), cap: num(p.capacity) }) }),
          el('span', { class: 'hint', text: t('places.detail', { c: num(p.confirmed), w: num(p.waitlisted) }) })));
        if (!holding) {
          li.append(el('button', {
            type: 'button', class: p.open > 0 ? 'primary' : 'secondary',
            'data-testid': `register-${c.trip_id}-${p.role}`,
            disabled: !online || busy || p.capacity === 0,
            text: p.open > 0 ? t('register') : t('waitlist'),
            onclick: () => register(c.trip_id, p.role),
          }));
        }
        ul.append(li);
      }
      art.append(ul);
      box.append(art);
    }
  }

  function renderProfile() {
    const sec = $('profile');
    const known = Array.isArray(S.roles);
    sec.dataset.saved = known ? 'true' : 'false';
    $('profile-summary').textContent = known ? t('profile.known', { roles: roleList(S.roles) })
      : (S.regs && S.regs.length ? t('profile.remote') : t('profile.none'));
    const save = sec.querySelector('[data-testid=profile-save]');
    save.disabled = S.conn !== 'online' || S.busy.has('profile');
  }

  function applyLang() {
    document.documentElement.lang = lang;
    document.title = t('doc.title');
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    const sw = $('lang');
    sw.textContent = t('lang.other');
    sw.setAttribute('lang', lang === 'en' ? 'zh-CN' : 'en');
    $('conn').textContent = t('conn.' + S.conn);
    if (S.vid) renderAll();
    else { renderError(); renderFlash(); }
  }

  // ---------------------------------------------------------------- start
  function start() {
    applyLang();
    if (tabs) {
      tabs.onmessage = (ev) => {
        const m = ev.data;
        if (m && m.type === 'connected' && m.tab !== tabId && m.vid === S.vid && S.client) takenOver();
      };
    }
    $('lang').addEventListener('click', () => {
      lang = lang === 'en' ? 'zh-CN' : 'en';
      storage.set(LS_LANG, lang);
      applyLang();
    });
    $('signin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      signIn($('signin-user').value.trim(), $('signin-pass').value);
    });
    $('signout').addEventListener('click', () => signOut(false));
    $('profile-form').addEventListener('submit', saveProfile);
    $('mine-refresh').addEventListener('click', refreshList);
    $('notices-clear').addEventListener('click', () => {
      S.notices = [];
      if (S.vid) storage.del(lsNotices(S.vid));
      renderNotices();
    });
    // The page may re-check "today" when it comes back after midnight.
    document.addEventListener('visibilitychange', () => { if (!document.hidden && S.vid) renderTrips(); });

    // #u=vol-01&p=SECRET signs in at once; the fragment is then removed from
    // the address bar and history (it never reaches the server anyway).
    const h = new URLSearchParams(location.hash.replace(/^#/, ''));
    const last = storage.get(LS_LAST_USER);
    if (last && ID_RE.test(last)) $('signin-user').value = last;
    if (h.get('u')) {
      $('signin-user').value = h.get('u');
      history.replaceState(null, '', location.pathname + location.search);
      if (h.get('p')) signIn(h.get('u').trim(), h.get('p'));
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
