// siteapp_forms.mjs -- the site app's four forms in headless Chromium at a
// phone's 390 x 844, run by tests/integration/siteapp_forms.sh (after its curl
// part) with SITE_URL, SITE_PASSCODE, SCREENSHOTS and WEB_DIR. Signed in as
// pharm-zhao-02: a medicine picked from the suggestions with a wrong amount
// (the error shows beside the field, in Chinese), then １２５０．５０; a
// referral to the city hospital with a common condition and the ready-made
// patient reference; education; a one-tap check-in of someone checked in
// before, and a new one. Tap targets, no horizontal scrolling, a '<script>'
// medicine name shown as text, English errors by the switch, no console
// errors. Screenshots of each form in Chinese (and one in English) in
// $SCREENSHOTS. Exits non-zero on the first failed check; every wait is bounded.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './lib.mjs';
import { siteTest, phonePage } from './sitekit.mjs';

// check(COND, WHAT); shows(PAGE, SEL, RE, WHAT): waits (bounded) until the text of SEL matches RE.
const { env, WAIT, ok: check, waitText: shows, checks } =
  siteTest('siteapp_forms.mjs', ['SITE_URL', 'SITE_PASSCODE', 'SCREENSHOTS'], 120000, 10000);
// A screenshot of the phone's screen with the forms at its top.
async function shot(page, name) {
  await page.evaluate(() => {
    document.getElementById('forms').scrollIntoView({ block: 'start' });
    window.scrollBy(0, -document.getElementById('sync').offsetHeight); // the sticky sync strip
  });
  await page.screenshot({ path: join(env.SCREENSHOTS, name) });
}

mkdirSync(env.SCREENSHOTS, { recursive: true });
const browser = await launch();
try {
  // 400: the refused entries above; 401: app.js asks for a session before sign-in.
  const { page, problems } = await phonePage(browser, { ignore: /the server responded with a status of (400|401)/ });
  await page.goto(env.SITE_URL, { timeout: WAIT });
  await page.locator('#signin-form').waitFor({ state: 'visible', timeout: WAIT });
  await page.fill('#passcode', env.SITE_PASSCODE);
  await page.fill('#staff', 'pharm-zhao-02');
  await page.click('#signin-form button[type=submit]');
  await page.locator('#forms').waitFor({ state: 'visible', timeout: WAIT });
  await shows(page, '#forms [data-chips=medicines]', /阿莫西林胶囊/, 'the medicine form suggests earlier names and the formulary');

  // Medicine: a suggestion, a quantity, a unit button, a wrong amount first.
  const med = page.locator('#f-dispense');
  const scriptChip = med.locator('[data-chips=medicines] button', { hasText: '<script>' });
  check(await scriptChip.count() === 1 && (await scriptChip.textContent()) === '<script>alert(1)</script>',
    "a medicine named '<script>…' is a suggestion shown as text");
  check(await page.evaluate(() => document.querySelectorAll('#forms script, body script').length) === 0,
    'no script element came in with it');
  await med.locator('[data-chips=medicines] button', { hasText: '阿莫西林胶囊' }).click();
  check(await med.locator('[name=medicine]').inputValue() === '阿莫西林胶囊', 'a tap on a suggestion fills the name');
  await med.locator('[name=quantity]').fill('10');
  await med.locator('#c-unit-box').click();
  check(await med.locator('#c-unit-box').getAttribute('aria-pressed') === 'true', 'the unit 盒 is chosen');
  await med.locator('[name=value]').fill('12.345');
  await med.locator('button[type=submit]').click();
  await shows(page, '#f-dispense .ferr[data-for=value_fen]', /金额格式不对/, 'a wrong amount: the error beside the value, in Chinese');
  check(await med.locator('[name=value]').evaluate((e) => e.classList.contains('bad')), 'the value field is marked');
  await shot(page, 'siteapp-form-dispense-error-zh.png');
  await med.locator('[name=value]').fill('１２５０．５０');
  await shot(page, 'siteapp-form-dispense-zh.png');
  await med.locator('button[type=submit]').click();
  await shows(page, '#f-dispense .fmsg.ok', /^已保存：#\d+ 发药 阿莫西林胶囊 10 盒，¥1,250\.50$/, 'the medicine saved with its number and what it contained');
  check(await med.locator('.ferr[data-for=value_fen]').textContent() === '', 'the error is gone');
  await shot(page, 'siteapp-form-dispense-saved-zh.png');

  // Referral: a destination, a common condition, urgency, the ready-made reference.
  await page.click('#forms .tab[data-form=referral]');
  const ref = page.locator('#f-referral');
  await ref.waitFor({ state: 'visible', timeout: WAIT });
  check(await med.isHidden(), 'one form at a time');
  const patient = await ref.locator('[name=patient_ref]').inputValue();
  check(/^R-\d{8}-[2-9A-HJ-NP-Z]{5}$/.test(patient), `a patient reference is offered ready-made (${patient})`);
  check(await ref.locator('input[name=name], input[name=phone], input[type=tel]').count() === 0, 'no name or phone field');
  await ref.locator('#c-destination-city_hospital').click();
  await ref.locator('[data-chips=conditions] button', { hasText: '高血压' }).click();
  check(await ref.locator('[name=condition]').inputValue() === '高血压', 'a tap on a common condition fills it');
  await ref.locator('#c-urgency-urgent').click();
  await ref.locator('[name=age]').fill('58');
  await ref.locator('#c-sex-M').click();
  await shot(page, 'siteapp-form-referral-zh.png');
  await ref.locator('button[type=submit]').click();
  await shows(page, '#f-referral .fmsg.ok', new RegExp(`^已保存：#\\d+ 转诊 高血压 → 市医院（加急），患者 ${patient}，58 岁，男$`),
    'the referral saved and described');
  await shows(page, '#f-referral', /./, 'the referral form stays');
  const next = await ref.locator('[name=patient_ref]').inputValue();
  check(next !== patient && /^R-/.test(next), 'a new patient reference after saving');

  // Health education.
  await page.click('#forms .tab[data-form=education]');
  const edu = page.locator('#f-education');
  await edu.locator('[name=brochures]').fill('50');
  await edu.locator('[name=attendees]').fill('30');
  await edu.locator('[name=talks]').fill('1');
  await edu.locator('[name=topic]').fill('糖尿病饮食');
  await shot(page, 'siteapp-form-education-zh.png');
  await edu.locator('button[type=submit]').click();
  await shows(page, '#f-education .fmsg.ok', /^已保存：#\d+ 健康教育 宣传册 50 份、听众 30 人、讲座 1 场，主题 糖尿病饮食$/, 'education saved and described');

  // Team check-in: someone from before in one tap, then a new one.
  await page.click('#forms .tab[data-form=checkin]');
  const ci = page.locator('#f-checkin');
  await shows(page, '#f-checkin [data-chips=people]', /dr-wang-01 · 医生/, 'people checked in before are offered, with their role');
  await shot(page, 'siteapp-form-checkin-zh.png');
  await ci.locator('[data-chips=people] button[data-staff=dr-wang-01]').click();
  await shows(page, '#f-checkin .fmsg.ok', /^已保存：#\d+ 签到 dr-wang-01 医生，县人民医院$/, 'one tap checks dr-wang-01 in again');
  await ci.locator('[name=staff_id]').fill('pharm-zhao-02');
  await ci.locator('#c-role-pharmacist').click();
  await ci.locator('[name=organization]').fill('永定区人民医院');
  await ci.locator('button[type=submit]').click();
  await shows(page, '#f-checkin .fmsg.ok', /^已保存：#\d+ 签到 pharm-zhao-02 药师，永定区人民医院$/, 'a new check-in saved');
  await shows(page, '#f-checkin [data-chips=people]', /pharm-zhao-02/, 'and offered next time');

  // Phone-first: tap targets at least 48 px, nothing wider than the screen.
  for (const form of ['dispense', 'referral', 'education', 'checkin']) {
    await page.click(`#forms .tab[data-form=${form}]`);
    const small = await page.evaluate(() => [...document.querySelectorAll('#forms button, #forms input')]
      .filter((e) => e.offsetParent !== null)
      .map((e) => ({ id: e.id || e.name || e.textContent, r: e.getBoundingClientRect() }))
      .filter((x) => x.r.height < 48 || x.r.width < 48).map((x) => x.id));
    check(small.length === 0, `${form}: every tap target is at least 48 x 48 px (too small: ${JSON.stringify(small)})`);
    check(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `${form}: no horizontal scrolling at 390 px`);
  }

  // English: labels and the device's own message beside the field.
  await page.click('#forms .tab[data-form=checkin]');
  await page.click('#lang');
  await shows(page, '#f-checkin [data-tf=staff_id]', /^Staff id$/, 'the forms follow the English switch');
  // What each form saved, said again in English.
  await shows(page, '#f-checkin .fmsg.ok', /^saved: #\d+ check-in pharm-zhao-02 Pharmacist, 永定区人民医院$/, 'the check-in in English words');
  await shows(page, '#f-dispense .fmsg.ok', /^saved: #\d+ medicine 阿莫西林胶囊 10 box, ¥1,250\.50$/, 'the medicine in English words');
  await shows(page, '#f-referral .fmsg.ok', new RegExp(`^saved: #\\d+ referral Hypertension → City hospital \\(urgent\\), patient ${patient}, age 58, male$`),
    'the referral in English words');
  await shows(page, '#f-education .fmsg.ok', /^saved: #\d+ education 50 brochures, 30 attendees, 1 talk, topic 糖尿病饮食$/, 'education in English words');
  await ci.locator('[name=staff_id]').fill('王医生');
  await ci.locator('#c-role-nurse').click();
  await ci.locator('button[type=submit]').click();
  await shows(page, '#f-checkin .ferr[data-for=staff_id]', /staff_id/, 'an English error beside the staff id');
  await shot(page, 'siteapp-form-checkin-error-en.png');
  await page.click('#lang');
  await shows(page, '#f-checkin [data-tf=staff_id]', /^工号$/, 'back to Chinese');
  check(problems.length === 0, `no console errors or CSP violations (${JSON.stringify(problems)})`);
  console.log(`siteapp_forms.mjs: ${checks()} checks passed`);
} finally {
  await browser.close();
}
