// siteapp_phones.mjs -- the site app from several phones and across a crash
// of the agent daemon, in headless Chromium at 390 x 844, run by
// tests/integration/siteapp_phones.sh in phases (PHASE) around what only the
// shell can do (SIGKILL the daemon, start it again):
//   phones: two browser contexts (two phones) signed in with the passcode tap
//           at the same time (Promise.all, each interleaving both
//           departments): 37 on 内科 (19 + 18) and 25 on 外科 (13 + 12);
//           both screens show the combined 37 and 25; 5 内科 taps are undone
//           (3 on one phone, 2 on the other); "立即发送"; both screens show
//           32 and 25 with nothing left to send (the shell then checks the
//           coordinator's 57);
//   tapping: one phone taps 妇产科 one at a time, each tap waited for on
//           screen, and after each writes the count the screen shows to
//           $SHOWN_FILE; the shell SIGKILLs the daemon meanwhile; the loop
//           ends at the first tap the page cannot save (it says so) and
//           prints "shown N";
//   after:  (the daemon restarted) sign in again, "立即发送", the screen
//           shows EXPECT on 妇产科 with nothing left to send.
// Env: SITE_URL, SITE_PASSCODE, PHASE, WEB_DIR, SHOWN_FILE (tapping),
// EXPECT (after). Every loop and wait is bounded in count and time.
import { writeFileSync, renameSync } from 'node:fs';
import { launch, fail } from './lib.mjs';
import { siteTest, phonePage } from './sitekit.mjs';

const { env, WAIT, ok, text, waitText, checks } = siteTest('siteapp_phones.mjs', ['SITE_URL', 'SITE_PASSCODE', 'PHASE'], 100000, 15000);

const browser = await launch();
const problems = [];
async function phone(staff) {
  const { page } = await phonePage(browser, { problems, tag: `${staff}: ` });
  await page.goto(env.SITE_URL, { timeout: WAIT });
  await page.fill('#passcode', env.SITE_PASSCODE);
  await page.fill('#staff', staff);
  await page.click('button[type=submit]');
  await page.locator('#main').waitFor({ state: 'visible', timeout: WAIT });
  await waitText(page, '#who', new RegExp(staff), `${env.PHASE}: ${staff} signed in with the passcode`);
  return page;
}
// "N（待发 W）" on a department's button -> N (the count the screen shows).
const shownOf = (s) => { const m = /^(\d+)（/.exec(s ?? ''); return m ? Number(m[1]) : -1; };

async function send(page, what) {
  await page.click('#send');
  await waitText(page, '#tap-msg', /^已生成 \d+ 份报告$/, `${what}: 立即发送 makes the headcounts`);
}

try {
  if (env.PHASE === 'phones') {
    const [a, b] = await Promise.all([phone('nurse-li-03'), phone('nurse-zhao-04')]);
    // Each phone interleaves the two departments: A 19 内科 + 13 外科,
    // B 18 内科 + 12 外科; the two phones at the same time.
    const plan = (internal, surgery) => {
      const out = [];
      for (let i = 0; i < Math.max(internal, surgery); i++) {
        if (i < internal) out.push('#dept-internal');
        if (i < surgery) out.push('#dept-surgery');
      }
      return out;
    };
    const tapAll = async (page, sels) => { for (const s of sels) await page.click(s, { timeout: WAIT }); };
    const t0 = Date.now();
    await Promise.all([tapAll(a, plan(19, 13)), tapAll(b, plan(18, 12))]);
    console.log(`62 taps from two phones clicked in ${Date.now() - t0} ms`);
    for (const [p, n] of [[a, 'phone A'], [b, 'phone B']]) {
      await waitText(p, '#dept-internal .n', /^37（待发 37）$/, `${n} shows both phones' 37 内科 taps`);
      await waitText(p, '#dept-surgery .n', /^25（待发 25）$/, `${n} shows both phones' 25 外科 taps`);
    }
    ok((await a.locator('#tap-msg').textContent()) === '' && (await b.locator('#tap-msg').textContent()) === '',
      'no tap was refused on either phone');
    // Undo 5 内科 taps from the recent-taps list: 3 on A, 2 on B, each waited for.
    let want = 37;
    for (const [p, n, k] of [[a, 'phone A', 3], [b, 'phone B', 2]]) {
      // The other phone's undos first reach this screen (its list refreshed).
      await waitText(p, '#dept-internal .n', new RegExp(`^${want}（待发 ${want}）$`), `${n} shows 内科 ${want}`);
      for (let i = 0; i < k; i++) {
        await p.locator('#open li', { hasText: '内科' }).first().locator('button').click({ timeout: WAIT });
        want -= 1;
        await waitText(p, '#dept-internal .n', new RegExp(`^${want}（待发 ${want}）$`), `${n}: undo -> 内科 ${want}`);
      }
    }
    await send(a, 'phone A');
    for (const [p, n] of [[a, 'phone A'], [b, 'phone B']]) {
      await waitText(p, '#dept-internal .n', /^32（待发 0）$/, `${n} shows 内科 32, nothing to send`);
      await waitText(p, '#dept-surgery .n', /^25（待发 0）$/, `${n} shows 外科 25, nothing to send`);
      await waitText(p, '#waiting', /^全部已同步$/, `${n} says all synced`);
    }
  } else if (env.PHASE === 'tapping') {
    if (!env.SHOWN_FILE) fail('SHOWN_FILE is not set');
    const page = await phone('nurse-li-03');
    const btn = '#dept-obgyn .n';
    let shown = shownOf(await text(page, btn));
    ok(shown >= 0, `妇产科 starts at ${shown}`);
    const start = shown;
    const until = Date.now() + 60000;
    let taps = 0, failed = false;
    for (; taps < 1000 && Date.now() < until; taps++) {
      const before = await text(page, btn);
      await page.click('#dept-obgyn', { timeout: WAIT });
      // The tap is shown (the count changes) or refused (the page says why).
      try {
        await page.waitForFunction(([s, b]) => document.querySelector(s).textContent !== b ||
          document.getElementById('tap-msg').textContent !== '', [btn, before], { timeout: WAIT, polling: 10 });
      } catch {
        fail(`tap ${taps + 1}: neither shown nor refused within ${WAIT} ms`);
      }
      const msg = await text(page, '#tap-msg');
      if (msg !== '') {
        ok(/连不上设备/.test(msg), `tap ${taps + 1} not saved once the daemon is gone, and the page says so: ${msg}`);
        failed = true;
        break;
      }
      shown = shownOf(await text(page, btn));
      writeFileSync(`${env.SHOWN_FILE}.tmp`, `${shown}\n`);
      renameSync(`${env.SHOWN_FILE}.tmp`, env.SHOWN_FILE);
    }
    ok(failed, `the daemon was killed while tapping (after ${taps} taps shown)`);
    ok(shown - start === taps, `each of the ${taps} saved taps was shown once (${start} -> ${shown})`);
    console.log(`shown ${shown}`);
  } else if (env.PHASE === 'after') {
    if (!env.EXPECT) fail('EXPECT is not set');
    const page = await phone('nurse-li-03');
    await send(page, 'after the restart');
    await waitText(page, '#dept-obgyn .n', new RegExp(`^${env.EXPECT}（待发 0）$`),
      `after the restart 妇产科 shows ${env.EXPECT}, nothing to send`);
    await waitText(page, '#waiting', /^全部已同步$/, 'after the restart: all synced');
  } else {
    fail(`unknown PHASE ${env.PHASE}`);
  }
  ok(problems.length === 0, `no page errors (${JSON.stringify(problems)})`);
  console.log(`siteapp_phones.mjs ${env.PHASE}: ${checks()} checks passed`);
} finally {
  await browser.close();
}
