import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TestApi } from '../../support/api';
import { startTestService, type TestService } from '../../support/test-service';

/**
 * The console end to end in headless Chromium: Debian's package, never a downloaded browser. Where
 * there is none, one passing test says so plainly instead of failing or silently skipping.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.resolve(__dirname, '../../artifacts/console');
/** Longest wait for one browser step, in milliseconds. */
const STEP_TIMEOUT_MS = 15_000;
const USERNAME = 'frank';
const PASSWORD = 'a finance password, long enough';

describe('web console in headless Chromium', () => {
  if (!existsSync(CHROMIUM)) {
    it('is not run: no Chromium here', () => {
      console.warn(`browser tests not run: no Chromium at ${CHROMIUM}`);
    });
    return;
  }

  let target: TestService;
  let api: TestApi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let login: number;
  /** Console errors and uncaught exceptions of every page (a CSP violation shows up here too). */
  const pageErrors: string[] = [];

  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const bucket = async (name: string) => (await page.locator(`[data-bucket="${name}"] .value`).textContent())?.trim();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    target = await startTestService();
    api = new TestApi(target);
    expect((await api.admin('POST', '/admin/users', { username: USERNAME, password: PASSWORD, role: 'finance' })).status).toBe(201);
    const { login: player, token } = await api.player('250.00');
    login = player;
    await api.balanceOperation(login, 'credit', '20.00', 'bonus-1');
    await api.balanceOperation(login, 'add', '75.25', 'psp-100');
    for (let i = 1; i <= 24; i += 1) {
      const trade = { token, currency: 'USD', externalTradeType: 'browser', externalTradeId: `t-${i}`, amount: '2' };
      await api.wallet.call('opentrade', trade);
      if (i < 24) await api.wallet.call('closetrade', { ...trade, amount: i % 2 === 0 ? '3.5' : '0' });
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  });
  afterAll(async () => {
    await browser?.close();
    api?.close();
    await target?.stop();
  });

  it('refuses a wrong password, then signs in as a finance user', async () => {
    await page.goto(`${target.baseUrl}/console/accounts`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await screenshot('01-login');
    await page.fill('#username', USERNAME);
    await page.fill('#password', 'not the password at all');
    await page.click('#sign-in');
    await expect(page.locator('.message.error').textContent()).resolves.toContain('Wrong username or password');
    await screenshot('02-login-refused');
    await page.fill('#password', PASSWORD);
    await page.click('#sign-in');
    await page.waitForURL('**/console/accounts');
    expect(page.url()).not.toContain(encodeURIComponent(PASSWORD));
    await expect(page.locator('#who').textContent()).resolves.toContain(`${USERNAME} · finance`);
    const cookies = await context.cookies();
    expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.sameSite, cookie.path])).toEqual([['wallet_console_session', true, 'Strict', '/console']]);
    expect(cookies[0]!.value).not.toContain(PASSWORD);
  });

  it('finds an account and pages through its ledger', async () => {
    await page.fill('#login', '424242');
    await page.click('#search-account');
    await expect(page.locator('.message.error').textContent()).resolves.toContain('Account 424242 not found.');
    await page.fill('#login', String(login));
    await screenshot('03-account-search');
    await page.click('#search-account');
    await page.waitForURL(`**/console/accounts/${login}`);
    const account = await api.account(login);
    expect(await bucket('balance')).toBe(account.balance);
    expect(await bucket('credit')).toBe(account.credit);
    expect(await bucket('held')).toBe(account.held);
    expect(await page.locator('#ledger tbody tr').count()).toBe(25);
    expect(await page.locator('#ledger tbody tr').first().locator('td').first().textContent()).toBe(String(account.version));
    await screenshot('04-account');

    await page.click('#older');
    await page.waitForURL(/cursor=/);
    const olderRows = page.locator('#ledger tbody tr');
    expect(await olderRows.count()).toBe(Number(account.version) - 25);
    expect(await olderRows.last().locator('td').first().textContent()).toBe('1');
    await expect(page.locator('.pager').textContent()).resolves.toContain('No older entries');
    await screenshot('05-account-older');
    await page.click('#newest');
    await page.waitForURL(`**/console/accounts/${login}`);
  });

  it('downloads a statement whose closing line equals the account bucket', async () => {
    const account = await api.account(login);
    await page.fill('#statement-form input[name=from]', '2000-01-01');
    await page.selectOption('#statement-form select[name=format]', 'csv');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-statement')]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^statement-${login}-2000-01-01-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
    const file = path.join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(file);
    const lines = parse(readFileSync(file, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(lines[0]).toMatchObject({ line: 'opening', balance: '0.00', credit: '0.00', held: '0.00' });
    expect(lines.filter((line) => line.line === 'entry')).toHaveLength(Number(account.version));
    expect(lines.at(-1)).toMatchObject({ line: 'closing', balance: account.balance, credit: account.credit, held: account.held });
    expect(lines.at(-1)!.balance).toBe(await bucket('balance'));
  });

  it('runs the reconciliation and shows its checks and exceptions', async () => {
    await page.click('nav >> text=Reconciliation');
    await page.waitForURL('**/console/reconciliation');
    await page.fill('input[name=staleHoldAgeH]', '0');
    await page.click('#run-reconciliation');
    await page.waitForSelector('#report');
    expect(await page.locator('#verdict').textContent()).toBe('CLEAN');
    expect(await page.locator('#checks tbody tr').count()).toBeGreaterThanOrEqual(7);
    // the one trade left open is a stale hold at age 0
    await expect(page.locator('#stale-holds').textContent()).resolves.toContain('t-24');
    await screenshot('06-reconciliation');
  });

  it('uploads a CSV to match against the ledger', async () => {
    await page.click('nav >> text=Match');
    await page.waitForURL('**/console/match');
    const csv = ['reference,amount,currency,date', `psp-100,75.25,USD,${new Date().toISOString()}`, `psp-404,9.99,USD,${new Date().toISOString()}`].join('\n');
    await page.setInputFiles('#match-file', { name: 'provider.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('#run-match');
    await page.waitForSelector('#match-report');
    const report = await page.locator('#match-report').textContent();
    expect(report).toMatch(/Dry run \d+ \(kept in the history, not applied\)/);
    expect(report).toMatch(/matched\s*1/);
    expect(report).toMatch(/missing in ledger\s*1/);
    expect(await page.locator('#match-exceptions').textContent()).toContain('psp-404');
    await screenshot('07-match');
  });

  it('logs out, after which the console asks to sign in again', async () => {
    await page.click('#logout');
    await page.waitForURL('**/console/login');
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${target.baseUrl}/console/accounts/${login}`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    // nothing but the two refusals this test provoked on purpose (no CSP violation, no script error)
    expect(pageErrors.map((error) => error.replace(target.baseUrl, ''))).toEqual([
      '/console/login: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
      '/console/accounts?login=424242: Failed to load resource: the server responded with a status of 404 (Not Found)',
    ]);
  });
});
