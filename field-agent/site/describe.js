// describe.js -- one entry in words, entirely in the page's language:
// SiteWords.describe(entry, lang) from the entry's kind and fields (as
// /api/recent, /api/today's refused list and /api/entry give them), e.g.
// "#8 发药 阿莫西林胶囊 10 盒，¥1,250.50" or "#8 medicine 阿莫西林胶囊 10 box, ¥1,250.50".
// The department names live here (app.js and forms.js use them); the names of
// units, conditions, destinations, urgencies, roles and sexes come from
// /api/forms (forms.js hands them over with setLabels, which fires
// 'site:labels' so the page re-renders). A code with no name yet is shown as
// it is. The result is text: callers set it with textContent.
'use strict';

const SiteWords = (() => {
  // The coordinator's report words the departments exactly so
  // (coordinator/report_book.c); tests/unit/test_names_words.c compares the two.
  const DEPTS = {
    internal: ['内科', 'Internal'], surgery: ['外科', 'Surgery'], obgyn: ['妇产科', 'Ob/Gyn'],
    pediatrics: ['儿科', 'Pediatrics'], ophthalmology: ['眼科', 'Eyes'], tcm: ['中医', 'TCM'],
    dental: ['口腔', 'Dental'], general: ['全科', 'General'], other: ['其他', 'Other'],
  };
  const W = {
    zh: {
      headcount: '门诊', dispense: '发药', referral: '转诊', education: '健康教育', checkin: '签到',
      void: '作废', female: '女', over_60: '60岁以上', poor_households: '贫困户',
      people: (n) => `${n} 人`, parts: (p) => `（${p.join('、')}）`, part: (w, n) => `${w} ${n}`,
      money: (s) => `，${s}`, urgency: (u) => `（${u}）`, brochures: (n) => `宣传册 ${n} 份`,
      attendees: (n) => `听众 ${n} 人`, talks: (n) => `讲座 ${n} 场`, list: (p) => p.join('、'),
      topic: (t) => `，主题 ${t}`, org: (o) => `，${o}`, voids: (n, r) => `${n}${r ? `：${r}` : ''}`,
      patient: (p) => `，患者 ${p}`, age: (n) => `，${n} 岁`, sex: (s) => `，${s}`,
    },
    en: {
      headcount: 'consultations', dispense: 'medicine', referral: 'referral', education: 'education',
      checkin: 'check-in', void: 'void', female: 'female', over_60: 'over 60',
      poor_households: 'poor household', people: (n) => n, parts: (p) => ` (${p.join(', ')})`,
      part: (w, n) => `${n} ${w}`, money: (s) => `, ${s}`, urgency: (u) => ` (${u})`,
      brochures: (n) => `${n} brochures`, attendees: (n) => `${n} attendees`,
      talks: (n) => `${n} talk${n === '1' ? '' : 's'}`, list: (p) => p.join(', '),
      topic: (t) => `, topic ${t}`, org: (o) => `, ${o}`, voids: (n, r) => `${n}${r ? `: ${r}` : ''}`,
      patient: (p) => `, patient ${p}`, age: (n) => `, age ${n}`, sex: (s) => `, ${s}`,
    },
  };
  // The lists of /api/forms: name -> [{code, zh, en}].
  let labels = {};

  const pick = (lang) => (lang === 'en' ? 'en' : 'zh');
  const number = (n, lang) => new Intl.NumberFormat(pick(lang) === 'en' ? 'en' : 'zh-CN')
    .format(Number(n) || 0);
  // Fen to "¥1,250.50": whole yuan grouped, fen exact (no floating point).
  function yuan(fen, lang) {
    const f = Math.max(0, Math.trunc(Number(fen) || 0));
    return `¥${number(Math.trunc(f / 100), lang)}.${String(f % 100).padStart(2, '0')}`;
  }
  function dept(code, lang) {
    const d = DEPTS[code];
    return d ? d[pick(lang) === 'en' ? 1 : 0] : String(code ?? '?');
  }
  // A code (or a word in either language) from list `name` of /api/forms, in
  // the page's language; anything else as it is.
  function label(name, word, lang) {
    if (word === undefined || word === null || word === '') return '?';
    const w = String(word);
    const c = (labels[name] || []).find((x) => x.code === w || x.zh === w ||
      x.en.toLowerCase() === w.toLowerCase());
    if (!c) return w;
    return pick(lang) === 'en' ? c.en : c.zh;
  }
  // English names inside a sentence are lowercase ("10 box", "(urgent)").
  const lower = (s, lang) => (pick(lang) === 'en' ? s.toLowerCase() : s);
  const text = (v) => (v === undefined || v === null || v === '' ? '?' : String(v));

  function body(kind, f, e, lang) {
    const w = W[pick(lang)];
    const n = (v) => number(v, lang);
    switch (kind) {
      case 'headcount': {
        const parts = ['female', 'over_60', 'poor_households']
          .filter((k) => Number(f[k]) > 0).map((k) => w.part(w[k], n(f[k])));
        return `${dept(f.department, lang)} ${w.people(n(f.consultations))}` +
          (parts.length ? w.parts(parts) : '');
      }
      case 'dispense':
        return `${text(f.medicine)} ${n(f.quantity)} ${lower(label('units', f.unit, lang), lang)}` +
          (f.value_fen !== undefined && f.value_fen !== null ? w.money(yuan(f.value_fen, lang)) : '');
      case 'referral':
        return `${label('conditions', f.condition, lang)} → ${label('destinations', f.destination, lang)}` +
          w.urgency(lower(label('urgencies', f.urgency, lang), lang)) +
          (f.patient_ref ? w.patient(f.patient_ref) : '') +
          (f.age !== undefined && f.age !== null ? w.age(n(f.age)) : '') +
          (f.sex ? w.sex(lower(label('sexes', f.sex, lang), lang)) : '');
      case 'education': {
        const parts = [w.brochures(n(f.brochures)), w.attendees(n(f.attendees)), w.talks(n(f.talks))];
        return w.list(parts) + (f.topic ? w.topic(f.topic) : '');
      }
      case 'checkin':
        return `${text(f.staff_id)} ${label('roles', f.role, lang)}` +
          (f.organization ? w.org(f.organization) : '');
      case 'void':
        return w.voids(e.voids_seq ? `#${e.voids_seq}` : text(f.voids), f.reason);
      default:
        return '';
    }
  }

  // "#8 发药 阿莫西林胶囊 10 盒，¥1,250.50": the number (when the entry has
  // one), the kind and what it contained.
  function describe(e, lang) {
    const w = W[pick(lang)];
    const head = `${e.seq ? `#${e.seq} ` : ''}${w[e.kind] && typeof w[e.kind] === 'string' ? w[e.kind] : text(e.kind)}`;
    const b = body(e.kind, e.fields || {}, e, lang);
    return b ? `${head} ${b}` : head;
  }

  // A tap not yet folded into a headcount: "#12 外科（女、60岁以上）".
  function tap(t, lang) {
    const w = W[pick(lang)];
    const marks = [['female', t.female], ['over_60', t.over_60], ['poor_households', t.poor]]
      .filter((m) => m[1]).map((m) => w[m[0]]);
    return `#${t.id} ${dept(t.department, lang)}${marks.length ? w.parts(marks) : ''}`;
  }

  function setLabels(offer) {
    labels = offer || {};
    document.dispatchEvent(new Event('site:labels'));
  }

  return { describe, tap, dept, yuan, number, setLabels, depts: Object.keys(DEPTS) };
})();
