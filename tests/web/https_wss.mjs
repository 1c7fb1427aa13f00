// https_wss.mjs -- the dashboard served over https connects with wss:// (not
// ws://) to Mosquitto's TLS WebSockets listener on the port ?wss_port= names.
// Run by tests/integration/tls.sh with WEB_URL
// (https://localhost:PORT/?wss_port=P), WEB_DIR and ACCOUNTS set. The
// certificate comes from a private CA, hence ignoreHTTPSErrors: what is
// checked here is the page's choice of scheme and port.
import { launch, env, password, pass, fail, expectState } from './lib.mjs';

const WEB_URL = env('WEB_URL');
const tid = (id) => `[data-testid="${id}"]`;

const browser = await launch();
try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  ctx.setDefaultTimeout(15_000);
  // Only the test broker: anything else is refused.
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    return u.hostname === 'localhost' ? route.continue() : route.abort();
  });
  const page = await ctx.newPage();
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`${WEB_URL}#u=dashboard&p=${encodeURIComponent(password('dashboard'))}`);
  if (new URL(page.url()).protocol !== 'https:') fail(`the page was not served over https: ${page.url()}`);
  pass('page served over https');
  await expectState(page, tid('conn-state'), 'connected', 'connection indicator over wss');
  const u = new URL(WEB_URL);
  const want = `wss://${u.hostname}:${u.searchParams.get('wss_port')}/`;
  if (sockets.length === 0 || !sockets.every((u) => u === want)) {
    fail(`WebSocket URLs: expected only ${want}, got ${JSON.stringify(sockets)}`);
  }
  pass(`the page's WebSocket is ${want}`);
} finally {
  await browser.close();
}
