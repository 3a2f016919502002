/**
 * The approval round trip through the web page in headless Chromium (Debian's chromium,
 * driven by playwright-core): a statement held by the gateway appears on the page with its
 * statement, subject, resource and reasons; the requester cannot approve it (page and API);
 * another reviewer approves it on the page and the held psql statement completes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedPolicyDir } from '../src/cli/policy-paths.js';
import { validateConfig } from '../src/config/validate-config.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { createDatabase, type PgCluster, startPgCluster } from './support/pg-cluster.js';

const exec = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let cluster: PgCluster;
let gateway: Gateway;
let browser: Browser;
// erin is a DBA who also runs statements; dana is the other DBA.
const erinKey = generateApiKey();
const danaKey = generateApiKey();

async function direct(sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    database: 'shop',
  });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** psql through the gateway, logging in as erin with her API key. */
function psqlAsErin(sql: string) {
  const port = gateway.resources.get('shop-db')!.port;
  return exec(
    'psql',
    ['-X', '-v', 'ON_ERROR_STOP=1', '-At', `host=127.0.0.1 port=${port} user=erin dbname=shop`, '-c', sql],
    { env: { ...process.env, PGPASSWORD: erinKey, PGCONNECT_TIMEOUT: '10' }, timeout: 60_000 },
  );
}

async function pendingId(summary: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const found = (await gateway.approvals.list({ state: 'pending' })).find((r) => r.summary === summary);
    if (found) return found.id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no pending request for ${summary}`);
}

/** A fresh browser context (its own cookies), signed in on the page with `key`. */
async function signedIn(key: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${gateway.url}/approvals`);
  await page.getByLabel('Reviewer API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${gateway.url}/approvals`);
  return page;
}

beforeAll(async () => {
  cluster = await startPgCluster();
  await createDatabase(cluster, 'shop');
  await direct(
    'CREATE TABLE orders (id int PRIMARY KEY, status text); INSERT INTO orders VALUES (1, $$new$$), (2, $$new$$)',
  );
  const dir = mkdtempSync(join(tmpdir(), 'pc-page-'));
  const config = validateConfig(
    {
      server: { listen: { port: 0 } },
      resources: [
        {
          name: 'shop-db',
          labels: { env: 'prod' },
          listen: { port: 0 },
          upstream: {
            host: '127.0.0.1',
            port: cluster.port,
            database: 'shop',
            user: 'postgres',
            password: 'env:PC_UPSTREAM_PASSWORD',
          },
        },
      ],
      policy: { rego: shippedPolicyDir() },
      identity: {
        api_keys: [
          { id: 'erin', kind: 'human', groups: ['dba'], hash: hashApiKey(erinKey, 'sha256') },
          { id: 'dana', kind: 'human', groups: ['dba'], hash: hashApiKey(danaKey, 'sha256') },
        ],
      },
      state: { path: join(dir, 'state.db') },
      audit: { path: join(dir, 'audit.jsonl') },
      approvals: { wait: '60s' },
    },
    dir,
  );
  gateway = await startGateway({
    config,
    env: { PC_UPSTREAM_PASSWORD: cluster.password },
    logger: pino({ level: 'silent' }),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await cluster?.stop();
});

describe('the approvals page in Chromium', () => {
  it('asks for a reviewer key and refuses a wrong one', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${gateway.url}/approvals`);
    await page.getByLabel('Reviewer API key').fill('pck_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.locator('.flash').textContent()).toBe('That key is not a reviewer key.');
    expect(await page.locator('#pending').count()).toBe(0);
    await page.context().close();
  });

  it('holds a statement, refuses its requester, and releases it when another reviewer approves', async () => {
    const sql = "UPDATE orders SET status = 'shipped'";
    const held = psqlAsErin(sql);
    const id = await pendingId(sql);

    // The requester sees the request but cannot approve it.
    const erin = await signedIn(erinKey);
    const row = erin.locator(`#pending tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await row.locator('pre').textContent()).toBe(sql);
    await row.getByRole('button', { name: 'Approve' }).click();
    expect(await erin.getByRole('alert').textContent()).toBe('erin cannot review their own request');
    expect((await gateway.approvals.get(id)).state).toBe('pending');
    // Nor through the API with the same key.
    const viaApi = await fetch(`${gateway.url}/api/approvals/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${erinKey}` },
    });
    expect(viaApi.status).toBe(409);
    expect(await viaApi.json()).toMatchObject({ code: 'PC_APPROVAL_STATE' });

    // Another reviewer: statement, subject, resource and reasons are on the page.
    const dana = await signedIn(danaKey);
    expect(await dana.getByText('Signed in as').textContent()).toContain('dana');
    const pendingRow = dana.locator(`#pending tr[data-id="${id}"]`);
    const cells = await pendingRow.locator('td').allTextContents();
    expect(cells[1]).toContain('erin');
    expect(cells[2]).toBe('shop-db');
    expect(cells[3]).toBe(sql);
    expect(cells[4]).toContain('sql.write_without_where');
    expect(cells[5]).toContain('group:dba');
    // Still held: the upstream has not seen it.
    expect((await direct("SELECT count(*)::int AS n FROM orders WHERE status = 'shipped'")).rows[0].n).toBe(
      0,
    );

    await pendingRow.getByRole('button', { name: 'Approve' }).click();
    await dana.waitForURL(`${gateway.url}/approvals`);
    const { stdout } = await held;
    expect(stdout.trim()).toBe('UPDATE 2');
    expect((await direct("SELECT count(*)::int AS n FROM orders WHERE status = 'shipped'")).rows[0].n).toBe(
      2,
    );

    // The history shows the decision and who made it.
    await dana.reload();
    expect(await dana.locator(`#pending tr[data-id="${id}"]`).count()).toBe(0);
    const past = await dana.locator(`#history tr[data-id="${id}"] td`).allTextContents();
    expect(past[1]).toBe('approved');
    expect(past.join(' ')).toContain('dana: approve');
    await erin.context().close();
    await dana.context().close();
  }, 90_000);

  it('denies on the page, and the held statement fails with the denial', async () => {
    const sql = 'DELETE FROM orders';
    const held = psqlAsErin(sql).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    const id = await pendingId(sql);
    const dana = await signedIn(danaKey);
    await dana.locator(`#pending tr[data-id="${id}"]`).getByRole('button', { name: 'Deny' }).click();
    await dana.waitForURL(`${gateway.url}/approvals`);
    const result = await held;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/denied/);
    expect((await direct('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(2);
    const past = await dana.locator(`#history tr[data-id="${id}"] td`).allTextContents();
    expect(past[1]).toBe('denied');
    await dana.context().close();
  }, 90_000);
});
