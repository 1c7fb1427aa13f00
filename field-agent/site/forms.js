// forms.js -- the site app's four forms: medicine, referral, health education
// and team check-in. The choices and suggestions come from GET /api/forms;
// an entry is saved by POST /api/entry, which answers with its number and
// what it contained, or with the field to correct; the page says what it
// contained in its own language (describe.js, from GET /api/entry). Works beside app.js: it
// calls the API through app.js's api() (which carries the CSRF token) and
// follows the page's language (the html lang) and the signed-in view (#main).
// Everything from the device or another phone is set with textContent.
'use strict';

(() => {
  const L = {
    zh: {
      dispense: '发药', referral: '转诊', education: '健康教育', checkin: '签到',
      medicine: '药品名称', quantity: '数量', unit: '单位', value: '金额（元）', save: '保存',
      destination: '转往', condition: '病情', condition_other: '其他病情（可直接填写）',
      urgency: '紧急程度', patient_ref: '患者编号（不填姓名、电话）', age: '年龄（可不填）',
      sex: '性别（可不填）', brochures: '发放宣传册', attendees: '听讲人数', talks: '讲座次数',
      topic: '主题', people: '以前签到过的人（点一下即签到）', staff_id: '工号', role: '角色',
      organization: '单位（可不填）', saved: (d) => `已保存：${d}`, correcting: (n) => `更正第 ${n} 条：改好后保存为新记录（原记录仍为被拒绝）`,
      failed: '未保存，请重试', offline: '连不上设备，请检查 Wi-Fi', required: '此项必填',
      signin: '请重新登录',
    },
    en: {
      dispense: 'Medicine', referral: 'Referral', education: 'Education', checkin: 'Check-in',
      medicine: 'Medicine', quantity: 'Quantity', unit: 'Unit', value: 'Value (yuan)', save: 'Save',
      destination: 'Refer to', condition: 'Condition', condition_other: 'Other condition (type it)',
      urgency: 'Urgency', patient_ref: 'Patient reference (no name, no phone)',
      age: 'Age (optional)', sex: 'Sex (optional)', brochures: 'Brochures handed out',
      attendees: 'People at talks', talks: 'Talks given', topic: 'Topic',
      people: 'Checked in before (one tap checks in)', staff_id: 'Staff id', role: 'Role',
      organization: 'Organisation (optional)', saved: (d) => `saved: ${d}`, correcting: (n) => `correcting #${n}: fix it and save it as a new entry (#${n} stays refused)`,
      failed: 'not saved: try again', offline: 'cannot reach the device: check the Wi-Fi',
      required: 'required', signin: 'sign in again',
    },
  };
  // What to do, per field, in Chinese (English shows the device's message).
  const ZH_FIELD = {
    medicine: '请填写药品名称（1 到 128 个字）',
    quantity: '数量须为 1 到 100000 的整数',
    unit: '请从列表中选择单位',
    value_fen: '金额格式不对，例如 ¥1,250.50、125.5 或 125，50（最多两位小数）',
    destination: '请选择转往哪里',
    condition: '请选择或填写病情（1 到 64 个字）',
    urgency: '请选择紧急程度',
    patient_ref: '患者编号只能是编号：不能有姓名、手机号、空格或汉字',
    age: '年龄须为 0 到 130 的整数',
    sex: '性别请选 女 或 男',
    brochures: '宣传册、听讲人数、讲座须为 0 到 100000 的整数，且至少一项大于 0',
    attendees: '听讲人数须为 0 到 100000 的整数',
    talks: '讲座次数须为 0 到 100000 的整数',
    topic: '主题最多 256 个字',
    staff_id: '工号：字母或数字开头，可含 . _ -，最多 64 位（例如 dr-wang-01）',
    role: '请选择角色',
    organization: '单位名称最多 128 个字',
  };

  let offer = null;
  const lang = () => (document.documentElement.lang === 'en' ? 'en' : 'zh');
  const t = (k, ...a) => { const v = L[lang()][k]; return typeof v === 'function' ? v(...a) : (v ?? k); };
  const label = (c) => (lang() === 'en' ? c.en : c.zh);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const button = (cls, text, onClick) => {
    const b = el('button', cls, text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  };

  function showForm(kind) {
    for (const b of document.querySelectorAll('#forms .tab'))
      b.setAttribute('aria-pressed', String(b.dataset.form === kind));
    for (const f of document.querySelectorAll('#forms form.entry')) f.hidden = f.dataset.kind !== kind;
  }

  // A group of buttons of which one (or, when optional, none) is chosen.
  function fillChoices(box) {
    const list = (offer && offer[box.dataset.list]) || [];
    const chosen = box.dataset.value || '';
    box.replaceChildren();
    for (const c of list) {
      const b = button('', label(c), () => {
        const again = box.dataset.value === c.code && box.dataset.optional;
        box.dataset.value = again ? '' : c.code;
        for (const x of box.children) x.setAttribute('aria-pressed', String(x.dataset.code === box.dataset.value));
      });
      b.dataset.code = c.code;
      b.id = `c-${box.dataset.name}-${c.code}`;
      b.setAttribute('aria-pressed', String(c.code === chosen));
      box.append(b);
    }
  }

  function fillChips(box) {
    const form = box.closest('form');
    box.replaceChildren();
    if (!offer) return;
    if (box.dataset.chips === 'medicines') {
      for (const m of offer.medicines.slice(0, 8))
        box.append(button('', m, () => { form.elements.medicine.value = m; }));
    } else if (box.dataset.chips === 'conditions') {
      for (const c of offer.conditions)
        box.append(button('', label(c), () => { form.elements.condition.value = label(c); }));
    } else if (box.dataset.chips === 'people') {
      const roles = Object.fromEntries(offer.roles.map((r) => [r.code, r]));
      for (const p of offer.people.slice(0, 12)) {
        const role = roles[p.role] ? label(roles[p.role]) : p.role;
        const b = button('', `${p.staff_id} · ${role}`, () => {
          form.elements.staff_id.value = p.staff_id;
          form.elements.organization.value = p.organization || '';
          const rb = form.querySelector('[data-name=role]');
          rb.dataset.value = p.role;
          fillChoices(rb);
          save(form);
        });
        b.dataset.staff = p.staff_id;
        box.append(b);
      }
    }
  }

  // The "saved" message of each form: the entry as GET /api/entry gives it,
  // described again when the language changes.
  const saved = new Map();
  function renderSaved(form) {
    const e = saved.get(form);
    if (!e) return;
    const msg = form.querySelector('.fmsg');
    msg.className = 'fmsg ok';
    msg.textContent = t('saved', SiteWords.describe(e, lang()));
  }

  function render() {
    for (const e of document.querySelectorAll('#forms [data-tf]')) e.textContent = t(e.dataset.tf);
    for (const f of saved.keys()) renderSaved(f);
    for (const b of document.querySelectorAll('#forms .choices')) fillChoices(b);
    for (const b of document.querySelectorAll('#forms .chips')) fillChips(b);
    const dl = document.getElementById('medicines');
    dl.replaceChildren();
    for (const m of (offer ? offer.medicines : [])) {
      const o = document.createElement('option');
      o.value = m;
      dl.append(o);
    }
  }

  async function load() {
    try {
      const r = await api('GET', '/api/forms');
      if (r.status !== 200) return;
      offer = r.data;
      SiteWords.setLabels(offer);
      const ref = document.querySelector('#f-referral [name=patient_ref]');
      if (!ref.value) ref.value = offer.patient_ref;
      render();
    } catch { /* the device is out of reach: the forms say so when used */ }
  }

  function clearErrors(form) {
    for (const p of form.querySelectorAll('.ferr')) p.textContent = '';
    for (const i of form.querySelectorAll('input.bad')) i.classList.remove('bad');
  }

  function showFieldError(form, field, message) {
    const name = field === 'value_fen' ? 'value' : field;
    let p = form.querySelector(`.ferr[data-for="${CSS.escape(field)}"]`);
    if (!p) p = form.querySelector('.fmsg');
    let text = message || t('failed');
    if (lang() === 'zh') text = message === 'required' ? `${t(name)}：${t('required')}` : (ZH_FIELD[field] || text);
    else if (message === 'required') text = `${t(name)}: ${t('required')}`;
    p.textContent = text;
    const input = form.elements[name];
    if (input && input.classList) { input.classList.add('bad'); input.focus(); }
  }

  function values(form) {
    const body = { kind: form.dataset.kind };
    for (const i of form.querySelectorAll('input[name]')) body[i.name] = i.value;
    for (const c of form.querySelectorAll('.choices')) body[c.dataset.name] = c.dataset.value || '';
    return body;
  }

  function reset(form) {
    for (const i of form.querySelectorAll('input[name]')) i.value = '';
    for (const c of form.querySelectorAll('.choices')) { c.dataset.value = ''; fillChoices(c); }
  }

  async function save(form) {
    saved.delete(form);
    clearErrors(form);
    const msg = form.querySelector('.fmsg');
    msg.className = 'fmsg';
    msg.textContent = '';
    let r;
    try {
      r = await api('POST', '/api/entry', values(form));
    } catch {
      msg.textContent = t('offline');
      return;
    }
    if (r.status === 200) {
      reset(form);
      const got = await api('GET', `/api/entry?seq=${r.data.seq}`).catch(() => ({ status: 0 }));
      saved.set(form, got.status === 200 ? got.data : { seq: r.data.seq, kind: r.data.kind });
      renderSaved(form);
      await load(); // new suggestions and a new patient reference
      if (typeof refresh === 'function') refresh(); // app.js: today's totals and recent entries
      return;
    }
    if (r.status === 401) { msg.textContent = t('signin'); return; }
    if (r.data && r.data.error === 'field') return showFieldError(form, r.data.field, r.data.message);
    msg.textContent = (r.data && r.data.message) || t('failed');
  }

  // app.js's "correct and send again" for a refused dispense, referral,
  // education or check-in: the form opens filled with the refused entry's
  // fields (GET /api/entry), to be corrected and saved as a new entry.
  function correct(ev) {
    const d = ev.detail || {};
    const form = document.querySelector(`#forms form.entry[data-kind="${d.kind}"]`);
    if (!form || !d.fields) return;
    ev.preventDefault();
    saved.delete(form);
    reset(form);
    showForm(d.kind);
    for (const [name, v] of Object.entries(d.fields)) {
      if (name === 'value_fen' && form.elements.value) form.elements.value.value = (v / 100).toFixed(2);
      else if (form.elements[name] && form.elements[name].tagName === 'INPUT') form.elements[name].value = String(v);
      const box = form.querySelector(`.choices[data-name="${name}"]`);
      if (box) { box.dataset.value = String(v); fillChoices(box); }
    }
    const msg = form.querySelector('.fmsg');
    msg.className = 'fmsg';
    msg.textContent = t('correcting', d.seq);
    form.scrollIntoView({ block: 'start' });
  }

  function start() {
    document.addEventListener('site:correct', correct);
    for (const b of document.querySelectorAll('#forms .tab'))
      b.addEventListener('click', () => showForm(b.dataset.form));
    for (const f of document.querySelectorAll('#forms form.entry'))
      f.addEventListener('submit', (ev) => { ev.preventDefault(); save(f); });
    render();
    // Follow app.js: the language switch, and the view after sign-in.
    new MutationObserver(render).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    const main = document.getElementById('main');
    new MutationObserver(() => { if (!main.hidden) load(); })
      .observe(main, { attributes: true, attributeFilter: ['hidden'] });
    if (!main.hidden) load();
  }

  document.addEventListener('DOMContentLoaded', start);
})();
