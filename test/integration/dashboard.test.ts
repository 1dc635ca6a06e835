/**
 * The dashboard in a real headless browser (Debian's chromium driven by playwright-core, never a
 * downloaded browser): the chain drawn certificate by certificate, the live feed with outcome
 * colours, and the timeline buttons changing what a real client gets. Assertions are on the
 * rendered DOM and computed colours; the screenshot is for humans (HUBTLS_UPDATE_SCREENSHOT=1
 * refreshes docs/dashboard.png).
 */
import t, { type Test } from 'tap';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startAdminUnderTest, TOKEN } from '../helpers/admin.js';
import { sClient } from '../helpers/openssl.js';
import { needTool } from '../helpers/tools.js';
import { exportedTrust, randomKey } from '../helpers/devices.js';
import { answerMethod, sasMqttDevice } from '../helpers/mqtt-device.js';

const HUB = ['-servername', 'myhub.azure-devices.net'];
const GREEN = 'rgb(31, 157, 85)';
const RED = 'rgb(214, 69, 69)';
const ORANGE = 'rgb(221, 107, 32)';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function browser(t: Test): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'hubtls-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  t.teardown(() => ctx.close());
  return ctx;
}

const texts = (page: Page, sel: string) => page.locator(sel).allTextContents();
const bg = (page: Page, sel: string) =>
  page
    .locator(sel)
    .first()
    .evaluate((e) => getComputedStyle(e).backgroundColor);

t.test('dashboard in headless chromium', async (t) => {
  if (!needTool(t, 'chromium', 'chromium') || !needTool(t, 'openssl', 'openssl')) return;
  const { th, app, call } = await startAdminUnderTest(t);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await sClient(th.port, HUB);
  await sClient(th.port, [...HUB, '-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
  await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_VERSION');
  const page = await (await browser(t)).newPage();
  await page.goto(`${url}/dashboard?token=${TOKEN}`);
  await page.waitForSelector('body[data-ready="true"]');

  await t.test('the active chain is drawn leaf → intermediate → root', async (t) => {
    t.same(await texts(page, '[data-endpoint="hub"] ol.chain[data-chain="g2"] li.cert .cn'), [
      '*.azure-devices.net',
      'Microsoft Azure RSA TLS Issuing CA 03',
      'DigiCert Global Root G2',
    ]);
    t.same(await texts(page, '[data-endpoint="hub"] ol.chain[data-chain="ecc-g3"] li.cert .cn'), [
      '*.azure-devices.net',
      'Microsoft Azure ECC TLS Issuing CA 03',
      'DigiCert Global Root G3',
    ]);
    t.match(await page.textContent('#scenario'), 'scenario default');
  });

  await t.test('the feed shows earlier handshakes with outcome colours, and new ones live', async (t) => {
    t.equal(await bg(page, 'tr[data-outcome="HUBTLS_ACCEPTED"] td.outcome span'), GREEN);
    t.equal(await bg(page, 'tr[data-outcome="HUBTLS_REFUSED_VERSION"] td.outcome span'), RED);
    t.match(
      await page.locator('tr[data-outcome="HUBTLS_REFUSED_VERSION"] td.reason').textContent(),
      /client offers TLS 1\.0–1\.1 but profile iothub-2025 accepts TLS 1\.2/,
    );
    await sClient(th.port, [...HUB, '-tls1_2', '-cipher', 'AES128-GCM-SHA256']);
    const live = page.locator('#feed tbody tr').first();
    await live.and(page.locator('[data-outcome="HUBTLS_REFUSED_CIPHER"]')).waitFor();
    t.equal(await bg(page, '#feed tbody tr:first-child td.outcome span'), RED);
    t.equal(await page.locator('#live').textContent(), 'live');
  });

  await t.test('a Node client that rejects the chain after the handshake: its row turns to the verdict', async (t) => {
    const refused = new Promise<Error>((resolve) =>
      tls
        .connect({ host: '127.0.0.1', port: th.port, servername: HUB[1], rejectUnauthorized: true })
        .once('error', resolve),
    );
    t.match((await refused).message, /unable to get local issuer certificate|self.signed/);
    const row = page.locator('#feed tbody tr[data-outcome="HUBTLS_CLIENT_REJECTED_CHAIN"]').first();
    await row.waitFor();
    t.equal(await row.getAttribute('data-handshake-outcome'), 'HUBTLS_ACCEPTED');
    t.equal(await row.locator('td.outcome span').textContent(), 'CLIENT_REJECTED_CHAIN');
    t.equal(
      await row.locator('td.outcome span').evaluate((e) => getComputedStyle(e).backgroundColor),
      ORANGE,
      'coloured as a rejection, no longer green',
    );
  });

  await t.test(
    'devices panel: a device added over the API connects, its telemetry is shown as text, a method answers',
    async (t) => {
      const key = randomKey();
      t.equal(
        (await call('POST', '/devices', { id: 'bench-1', auth: { type: 'sas', primaryKey: key } })).statusCode,
        201,
      );
      await page.waitForSelector('#device-list li.device[data-device="bench-1"][data-connected="false"]');
      const dev = await sasMqttDevice(th.port, (await exportedTrust()).g2, 'bench-1', key);
      t.teardown(() => dev.end(true));
      answerMethod(dev, 'reboot');
      const card = page.locator('li.device[data-device="bench-1"][data-connected="true"]');
      await card.waitFor();
      t.equal(await card.locator('.link').textContent(), 'connected over mqtt');
      const markup = '<img src=x class=injected>';
      await dev.publishAsync('devices/bench-1/messages/events/', markup, { qos: 1 });
      await card
        .locator('.last code')
        .and(page.getByText(markup, { exact: true }))
        .waitFor();
      t.equal(await page.locator('#devices-panel img, img.injected').count(), 0, 'device text never becomes markup');
      t.match(await card.locator('svg.rate').getAttribute('aria-label'), / 1$/, 'the newest 10 s bucket counts it');
      await page.selectOption('#d-device', 'bench-1');
      await page.fill('#f-method [name="payload"]', '{"delay":5}');
      await page.click('#f-method button');
      await page.waitForFunction(() => document.querySelector('#d-answer')?.textContent?.startsWith('method reboot'));
      t.equal(await page.textContent('#d-answer'), 'method reboot answered 200: {"reboot":{"delay":5}}');
      await dev.endAsync();
      await page.locator('li.device[data-device="bench-1"][data-connected="false"]').waitFor();
    },
  );

  await t.test('Migrate: the page redraws the chain and a real client now meets Baltimore', async (t) => {
    await page.selectOption('#f-migrate select[name="chain"]', 'baltimore');
    await page.click('#f-migrate button');
    await page.waitForSelector('[data-endpoint="hub"] ol.chain[data-chain="baltimore"]');
    t.match(await page.textContent('#message'), /hub, dps now serve baltimore/);
    t.same(
      (await texts(page, '[data-endpoint="hub"] ol.chain[data-chain="baltimore"] li.cert .cn')).at(-1),
      'Baltimore CyberTrust Root',
    );
    const r = await sClient(th.port, HUB);
    t.match(r.output, /Baltimore CyberTrust Root/, 'openssl sees the new chain');
  });

  await t.test('Rotate leaf and +30 days update the page; an API error is shown with its code', async (t) => {
    await page.click('#b-rotate');
    await page.waitForFunction(() =>
      document.querySelector('[data-endpoint="hub"] .meta')?.textContent?.includes('leaf generation 2'),
    );
    const before = await page.textContent('#clock');
    await page.click('#b-plus30');
    await page.waitForFunction((b) => document.querySelector('#clock')?.textContent !== b, before);
    t.match(await page.textContent('#clock'), /\(simulated\)/);
    await page.click('#f-fault button');
    await page.waitForSelector('#message.error');
    t.match(await page.textContent('#message'), /^HUBTLS_[A-Z_]+: /);
  });

  await t.test('screenshot', async (t) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hubtls-shot-')), 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    t.same([...readFileSync(file).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
    if (process.env.HUBTLS_UPDATE_SCREENSHOT) copyFileSync(file, 'docs/dashboard.png');
  });
});

t.test('without the token the dashboard is refused with the error shape', async (t) => {
  const { app } = await startAdminUnderTest(t);
  const r = await app.inject({ method: 'GET', url: '/dashboard' });
  t.equal(r.statusCode, 401);
  t.equal(r.json().error.code, 'HUBTLS_ADMIN_UNAUTHORIZED');
});

t.test('a mixed rollout: every chain drawn with its weight, and the seed', async (t) => {
  if (!needTool(t, 'chromium', 'chromium')) return;
  const { app } = await startAdminUnderTest(t, 'scenarios/mixed-rollout.yaml');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const page = await (await browser(t)).newPage();
  await page.goto(`${url}/dashboard?token=${TOKEN}`);
  await page.waitForSelector('body[data-ready="true"]');
  const mix = '[data-endpoint="hub"] [data-mix="rsa"]';
  t.same(await texts(page, `${mix} .meta`), ['g2 · weight 50 (50 %)', 'baltimore · weight 50 (50 %)']);
  t.same(await texts(page, `${mix} ol.chain[data-chain="baltimore"] li.cert .cn`), [
    '*.azure-devices.net',
    'Microsoft RSA TLS CA 01',
    'Baltimore CyberTrust Root',
  ]);
  t.equal(await page.locator(`${mix} ol.chain[data-chain="g2"]`).count(), 1, 'the G2 option drawn too');
  t.match(await texts(page, '[data-endpoint="hub"] > .meta'), [
    /./,
    /RSA chains drawn per connection by weight, seed 42$/,
  ]);
});
