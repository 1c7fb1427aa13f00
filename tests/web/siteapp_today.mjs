// siteapp_today.mjs -- the site app's today, recent and sync screens in
// headless Chromium at 390 x 844, run by tests/integration/siteapp_web.sh in
// phases (PHASE) around what only the shell can do (stopping the broker):
//   entries: today's trip from its card (title, site, date, only its
//            departments); today's totals; cancelling a dispense and a
//            headcount from the recent list (a reason is required) drops the
//            totals exactly; a refused headcount shows its reason and is
//            corrected and sent again once;
//   offline: (the broker stopped) taps go on, the page says offline and how
//            many entries wait;
//   back:    (the broker back) the page says all synced, the totals include
//            everything once; one screen in English.
// Env: SITE_URL, SITE_PASSCODE, SCREENSHOTS, PHASE, WEB_DIR, and for entries
// REFUSED_SEQ (the refused headcount's number). Every wait is bounded.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, fail } from './lib.mjs';
import { siteTest, phonePage } from './sitekit.mjs';

const { env, WAIT, ok, text, waitText, checks } = siteTest('siteapp_today.mjs', ['SITE_URL', 'SITE_PASSCODE', 'SCREENSHOTS', 'PHASE'], 90000, 15000);
const shot = (page, name) => page.screenshot({ path: join(env.SCREENSHOTS, name), fullPage: true });

mkdirSync(env.SCREENSHOTS, { recursive: true });
const browser = await launch();
try {
  const { page, problems } = await phonePage(browser, { ignore: /40[19]|429/ });
  await page.goto(env.SITE_URL, { timeout: WAIT });
  await page.fill('#passcode', env.SITE_PASSCODE);
  await page.fill('#staff', 'nurse-wang-05');
  await page.click('button[type=submit]');
  await page.locator('#main').waitFor({ state: 'visible', timeout: WAIT });
  ok(true, `${env.PHASE}: signed in`);

  if (env.PHASE === 'entries') {
    await waitText(page, '#trip', /^义诊 2026-zjj-015 · 永定区 村卫生室 · 2026-11-22$/, 'the trip of the day: title, site, date');
    const shown = await page.evaluate(() => [...document.querySelectorAll('.dept')].filter((b) => !b.hidden).map((b) => b.dataset.dept));
    ok(JSON.stringify(shown) === '["internal","surgery","obgyn"]', `only the trip's departments (${shown})`);
    await waitText(page, '#total-cons', /^54$/, 'consultations today: 54');
    await waitText(page, '#total-med', /^¥1,250\.50$/, 'medicine value today: ¥1,250.50');
    // Each entry in words, all in Chinese.
    await waitText(page, '#recent', /#\d+ 发药 阿莫西林 5 盒，¥1,250\.50已计入/, 'the dispense in words');
    await waitText(page, '#recent', /#\d+ 签到 doc-wu 医生已计入/, 'a check-in in words');
    await waitText(page, '#recent', /#\d+ 门诊 内科 3 人（女 1）已计入/, 'a headcount in words');
    await waitText(page, `#refused-${env.REFUSED_SEQ} span`, new RegExp(`^#${env.REFUSED_SEQ} 门诊 外科 7 人$`), 'the refused headcount in words');
    ok(!/headcount|dispense|checkin|consultations|quantity|value_fen|doctor|box/.test(await text(page, '#recent')),
      'no English word or field name in the Chinese recent list');
    await waitText(page, '#total-staffN', /^2$/, 'two staff checked in');
    await shot(page, 'siteapp-today-zh.png');

    // Cancel the dispense from the recent list: a reason is required.
    const med = page.locator('#recent li', { hasText: '阿莫西林' }).first();
    await med.click();
    await page.locator('#cancel-box').waitFor({ state: 'visible', timeout: WAIT });
    await waitText(page, '#cancel-what', /^作废这条记录？#\d+ 发药 阿莫西林 5 盒，¥1,250\.50$/, 'the entry to cancel, in words');
    await page.screenshot({ path: join(env.SCREENSHOTS, 'siteapp-cancel-zh.png') }); // what the phone shows
    await page.click('#cancel-go');
    await waitText(page, '#recent-msg', /请填写作废原因/, 'no cancel without a reason');
    await page.fill('#cancel-reason', '重复录入');
    await page.click('#cancel-go');
    await waitText(page, '#recent-msg', /^已作废第 \d+ 条/, 'the dispense cancelled');
    await waitText(page, '#total-med', /^¥0\.00$/, 'medicine value drops by exactly ¥1250.50');
    await waitText(page, '#total-cons', /^54$/, 'consultations unchanged');
    // And the internal headcount (3 consultations).
    await page.locator('#recent li', { hasText: '门诊 内科 3 人（女 1）' }).first().click();
    await page.fill('#cancel-reason', '登记错了');
    await page.click('#cancel-go');
    await waitText(page, '#total-cons', /^51$/, 'consultations drop by exactly 3');
    await waitText(page, '#recent', /已被第 \d+ 条作废/, 'the cancelled entries say so');
    await waitText(page, '#recent', /#\d+ 作废 #\d+：重复录入/, 'a void in words');
    // A cancelled entry cannot be cancelled again.
    await page.locator('#recent li.voided').first().click();
    await waitText(page, '#recent-msg', /^此记录不能作废：第 \d+ 条已被第 \d+ 条作废$/, 'a cancelled entry cannot be cancelled again');
    await shot(page, 'siteapp-recent-zh.png');

    // The refused headcount: its reason, then corrected and sent again.
    const ref = `#refused-${env.REFUSED_SEQ}`;
    await waitText(page, ref, /被拒绝: 协调服务没有这个行程（no trip 2026-zz-404）/, 'the refused entry shows the coordinator\'s reason in words');
    await shot(page, 'siteapp-refused-zh.png');
    await page.locator(`${ref} button`).click();
    await waitText(page, '#recent-msg', new RegExp(`^第 ${env.REFUSED_SEQ} 条已更正为第 \\d+ 条$`), 'corrected and sent again');
    await waitText(page, ref, /已更正为第 \d+ 条/, 'the refused entry says it was sent again');
    ok(await page.locator(`${ref} button`).count() === 0, 'it cannot be sent again twice');
    await waitText(page, '#total-cons', /^58$/, 'the corrected headcount counts: 58');

    // The refused dispense: "correct" opens the medicine form filled with its
    // values; saved, it is a new entry and the refused one stays refused.
    const rmed = `#refused-${env.REFUSED_MED_SEQ}`;
    await waitText(page, rmed, /被拒绝: 协调服务没有这个行程（no trip 2026-zz-404）/, 'the refused dispense shows its reason');
    await page.locator(`${rmed} button`).click();
    await waitText(page, '#f-dispense .fmsg', new RegExp(`^更正第 ${env.REFUSED_MED_SEQ} 条`), 'the medicine form opens to correct it');
    ok(await page.inputValue('#f-dispense input[name=medicine]') === '布洛芬', 'the medicine name is filled in');
    ok(await page.inputValue('#f-dispense input[name=value]') === '10.00', 'the value is filled in, in yuan');
    await page.click('#f-dispense button[type=submit]');
    await waitText(page, '#f-dispense .fmsg', /^已保存：#\d+ 发药 布洛芬 2 盒，¥10\.00$/, 'the corrected dispense is saved');
    await waitText(page, '#total-med', /^¥10\.00$/, 'and counts: ¥10.00');
  } else if (env.PHASE === 'offline') {
    await waitText(page, '#net', /^离线$/, 'the page says offline');
    await waitText(page, '#trip-note', /离线：记录保存在本设备/, 'and that entries are kept on the device');
    for (let i = 0; i < 3; i++) await page.click('#dept-surgery');
    await waitText(page, '#dept-surgery .n', /（待发 3）$/, 'taps go on offline');
    await page.click('#send');
    await waitText(page, '#tap-msg', /已生成 1 份报告/, 'send now makes one headcount');
    await waitText(page, '#waiting', /^待发送 1 条$/, 'the waiting count: 1');
    await waitText(page, '#total-cons', /^61（其中待同步 3）$/, 'totals include what is not synced');
    await shot(page, 'siteapp-sync-offline-zh.png');
  } else if (env.PHASE === 'back') {
    await waitText(page, '#net', /^在线$/, 'the page says online again');
    await waitText(page, '#waiting', /^全部已同步$/, 'the page says all is synced');
    await waitText(page, '#last', /^上次回复 \d\d:\d\d:\d\d$/, 'with the time of the last answer');
    await waitText(page, '#total-cons', /^61$/, 'consultations 61, nothing lost or doubled');
    await shot(page, 'siteapp-sync-online-zh.png');
    await page.click('#lang');
    await waitText(page, '#waiting', /^all synced$/, 'in English');
    await waitText(page, '#total-med', /^¥10\.00$/, 'medicine value in English');
    await waitText(page, '#recent li:first-child', /^#\d+ consultations Surgery 3counted$/, 'recent entries in English at once');
    await waitText(page, '#recent', /#\d+ medicine 阿莫西林 5 box, ¥1,250\.50cancelled by #\d+/, 'the dispense in English words');
    await waitText(page, '#recent', /#\d+ check-in nurse-he Nurse/, 'a check-in in English words');
    await waitText(page, '#recent', /#\d+ void #\d+: 重复录入/, 'a void in English words');
    await waitText(page, '#recent', /#\d+ consultations Internal 3 \(1 female\)cancelled by #\d+/, 'a headcount in English words');
    await waitText(page, `#refused-${env.REFUSED_SEQ} span`, new RegExp(`^#${env.REFUSED_SEQ} consultations Surgery 7$`), 'the refused headcount in English words');
    await waitText(page, `#refused-${env.REFUSED_SEQ}`, /refused: the coordinator has no such trip \(no trip 2026-zz-404\)/, 'and its refusal in English words');
    ok(!/[一-龥]/.test((await text(page, '#recent')).replace(/阿莫西林|布洛芬|重复录入|登记错了/g, '')),
      'no Chinese in the English recent list but what was typed');
    await shot(page, 'siteapp-today-en.png');
  } else {
    fail(`unknown PHASE ${env.PHASE}`);
  }
  ok(problems.length === 0, `no console errors or CSP violations (${JSON.stringify(problems)})`);
  console.log(`siteapp_today.mjs ${env.PHASE}: ${checks()} checks passed`);
} finally {
  await browser.close();
}
