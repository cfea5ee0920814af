// Starts a `ticorr demo` on a free loopback port with a fresh data directory, waits until
// it is ready, and launches Debian's chromium through playwright-core.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const here = new URL('.', import.meta.url).pathname;
const binary = process.env.TICORR_BIN || resolve(here, '../target/debug/ticorr');
const browserPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitReady(base, child, log) {
  const deadline = Date.now() + 10 * 60 * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`ticorr demo exited with ${child.exitCode}:\n${log.join('')}`);
    }
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet: the demo is still seeding
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`ticorr demo did not become ready:\n${log.join('')}`);
}

// Debian's chromium, headless. Its own crash output goes to the demo log so a failed run
// shows why the browser went away.
function launchBrowser() {
  return chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function startDemo() {
  const dataDir = mkdtempSync(join(tmpdir(), 'ticorr-e2e-'));
  const port = await freePort();
  const log = [];
  const child = spawn(binary, ['demo', '--data-dir', dataDir, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
  });
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const base = `http://127.0.0.1:${port}`;
  let accounts;
  let browser;
  try {
    await waitReady(base, child, log);
    accounts = JSON.parse(readFileSync(join(dataDir, 'demo-accounts.json'), 'utf8'));
    browser = await launchBrowser();
  } catch (e) {
    // Leave nothing running when the demo or the browser cannot start.
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    base,
    binary,
    dataDir,
    accounts,
    log,
    // The browser the tests drive. Should chromium itself exit between tests (it has, rarely,
    // on a loaded machine), the next test gets a fresh one instead of failing on a dead one.
    get browser() {
      return browser;
    },
    async freshBrowser() {
      if (!browser.isConnected()) {
        log.push(`chromium exited; relaunching at ${new Date().toISOString()}\n`);
        browser = await launchBrowser();
      }
      return browser;
    },
    account(kind) {
      const a = accounts.find((x) => x.kind === kind);
      if (!a) throw new Error(`no demo account of kind ${kind}`);
      return a;
    },
    async stop() {
      await browser.close();
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Signs in through the login form and waits for the page it lands on.
export async function signIn(page, base, account) {
  await page.goto(`${base}/login?next=/equipment`);
  await page.fill('#email', account.email);
  await page.fill('#password', account.password);
  await Promise.all([page.waitForURL(`${base}/equipment`), page.click('form[action="/login"] button[type="submit"]')]);
}
