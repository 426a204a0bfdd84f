import { randomUUID } from 'node:crypto';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEnv } from '../../src/infra/infra-env.ts';

describe('ClickHouse through @clickhouse/client', () => {
  const database = `smoke_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let client: ClickHouseClient;

  beforeAll(async () => {
    client = createClient({ url: infraEnv('CLICKHOUSE_URL') });
    await client.command({ query: `CREATE DATABASE ${database}` });
    await client.command({
      query: `CREATE TABLE ${database}.audit_event (id String, occurred_at DateTime, action String)
              ENGINE = MergeTree PARTITION BY toYYYYMM(occurred_at) ORDER BY (occurred_at, id)`,
    });
  });

  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  it('inserts rows and selects them back', async () => {
    const rows = [
      { id: 'a', occurred_at: '2026-01-15 10:00:00', action: 'login' },
      { id: 'b', occurred_at: '2026-02-15 10:00:00', action: 'logout' },
      { id: 'c', occurred_at: '2026-02-16 10:00:00', action: 'login' },
    ];
    await client.insert({ table: `${database}.audit_event`, values: rows, format: 'JSONEachRow' });
    const result = await client.query({
      query: `SELECT id, action FROM ${database}.audit_event ORDER BY id`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual(rows.map(({ id, action }) => ({ id, action })));
  });

  it('keeps one partition per month and drops a whole month at once', async () => {
    const partitions = async () => {
      const result = await client.query({
        query: `SELECT DISTINCT partition FROM system.parts WHERE database = '${database}' AND table = 'audit_event' AND active ORDER BY partition`,
        format: 'JSONEachRow',
      });
      return (await result.json<{ partition: string }>()).map((p) => p.partition);
    };
    expect(await partitions()).toEqual(['202601', '202602']);
    await client.command({ query: `ALTER TABLE ${database}.audit_event DROP PARTITION 202601` });
    expect(await partitions()).toEqual(['202602']);
    const count = await client.query({
      query: `SELECT count() AS n FROM ${database}.audit_event`,
      format: 'JSONEachRow',
    });
    expect(await count.json()).toEqual([{ n: '2' }]);
  });
});
