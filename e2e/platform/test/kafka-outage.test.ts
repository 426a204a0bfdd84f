import { Infra, infraEnv, loadInfraConfig, stderrProgress } from '@girok/e2e/infra';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, startPlatform } from './platform.ts';

const infra = new Infra(loadInfraConfig(), stderrProgress());
const N = 30;

async function clickhouse<T>(query: string): Promise<T[]> {
  const response = await fetch(
    `${infraEnv('CLICKHOUSE_URL')}/?query=${encodeURIComponent(`${query} FORMAT JSONEachRow`)}`,
  );
  const text = await response.text();
  if (!response.ok) throw new Error(text);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

describe('Kafka stops while the platform changes state', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await infra.resume(['kafka']);
    await platform?.close();
  });

  it('each outbox keeps its events, and once Kafka is back every event arrives and audit stores each exactly once', async () => {
    const identityDb = new pg.Client({ connectionString: platform.databaseUrl('platform_identity') });
    await identityDb.connect();
    const pending = async () =>
      Number((await identityDb.query<{ n: string }>('SELECT count(*) AS n FROM outbox_events')).rows[0]?.n);
    try {
      await infra.down(['kafka']);
      const ids: string[] = [];
      // The services keep answering: state changes commit with their events in the outbox.
      for (let i = 0; i < N; i += 1) {
        const user = platform.newUser();
        const { account } = await platform.identityGrpc.createAccount({ ...user, locale: 'en-US' });
        ids.push(account?.id ?? '');
      }
      expect(ids.filter((id) => id !== '')).toHaveLength(N);
      // account.created + the account.create audit event per sign-up, waiting for the broker.
      expect(await pending()).toBeGreaterThanOrEqual(2 * N);

      await infra.resume(['kafka']);
      await expect.poll(pending, { timeout: 60_000, interval: 500 }).toBe(0);

      // audit-service's effect: one row per audited sign-up, no more.
      const table = `platform_audit_${platform.suffix}.audit_events`;
      const list = ids.map((id) => `'${id}'`).join(',');
      const count = async () =>
        (
          await clickhouse<{ rows: string; distinct_ids: string }>(
            `SELECT count() AS rows, uniqExact(id) AS distinct_ids FROM ${table} FINAL WHERE action = 'account.create' AND actor_id IN (${list})`,
          )
        )[0];
      await expect
        .poll(async () => Number((await count())?.distinct_ids), { timeout: 60_000, interval: 500 })
        .toBe(N);
      const raw = await clickhouse<{ rows: string }>(
        `SELECT count() AS rows FROM ${table} WHERE action = 'account.create' AND actor_id IN (${list})`,
      );
      expect(Number(raw[0]?.rows)).toBe(N);
    } finally {
      await identityDb.end();
    }
  });
});
