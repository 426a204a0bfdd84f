import { randomUUID } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { DsrOutcome, DsrType } from '@girok/contracts/legal/v1/dsr';
import { infraEnv } from '@girok/e2e/infra';
import { createDatabase } from '@girok/kit/db';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditRow, clickhouseDateTime, type StoredAuditRow } from '../src/dtos/audit.dto.ts';
import { AuditEventRepository } from '../src/repositories/audit-event.repository.ts';
import type { AuditFilter, AuditStore } from '../src/repositories/audit-store.ts';
import { LocalAuditEventRepository } from '../src/repositories/local-audit-event.repository.ts';
import type { AuditDatabase } from '../src/schema/database.ts';
import { categoryOf } from '../src/services/audit-category.ts';
import { DsrService } from '../src/services/dsr.service.ts';
import { suffix } from './support.ts';

interface Opened {
  readonly store: AuditStore;
  close(): Promise<void>;
}

/** One contract, two stores: local mode's embedded store must answer as ClickHouse does. */
const stores: [string, () => Opened][] = [
  [
    'AuditEventRepository on real ClickHouse',
    () => {
      const database = `audit_contract_${suffix()}`;
      const client = createClient({ url: infraEnv('CLICKHOUSE_URL'), request_timeout: 10_000 });
      return {
        store: new AuditEventRepository(client, database),
        close: async () => {
          await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
          await client.close();
        },
      };
    },
  ],
  [
    'LocalAuditEventRepository on PGlite',
    () => {
      const db = createDatabase<AuditDatabase>({ url: 'pglite://memory' });
      return { store: new LocalAuditEventRepository(db), close: () => db.destroy() };
    },
  ],
];

/** A row as `auditRowOf` makes it, with the fields a case cares about. */
function row(fields: Partial<AuditRow> & { readonly at: number }): AuditRow {
  const { at, ...rest } = fields;
  const service = rest.service ?? 'identity-service';
  const action = rest.action ?? 'account.login';
  const actorId = rest.actor_id ?? '';
  const targetType = rest.target_type ?? 'session';
  const targetId = rest.target_id ?? randomUUID();
  return {
    id: randomUUID(),
    event_id: randomUUID(),
    occurred_at: clickhouseDateTime(at),
    occurred_at_ms: at,
    category: categoryOf(service, action),
    account_id: actorId || (targetType === 'account' ? targetId : ''),
    service,
    action,
    actor_id: actorId,
    target_type: targetType,
    target_id: targetId,
    result: 'SUCCESS',
    reason: '',
    ip_address: '203.0.113.7',
    user_agent: 'test',
    trace_id: '',
    metadata: '{}',
    source: service,
    ingested_at: clickhouseDateTime(Date.now()),
    ...rest,
  };
}

const T = Date.parse('2026-03-14T09:26:53.589Z');

describe.each(stores)('AuditStore contract: %s', (_name, open) => {
  let opened: Opened;
  let store: AuditStore;

  beforeAll(async () => {
    opened = open();
    store = opened.store;
    await store.ensureSchema();
    await store.ensureSchema(); // every replica runs it at start: a second time changes nothing
  });

  afterAll(async () => {
    await opened?.close();
  });

  const all = async (filter: AuditFilter, extra: { fromMs?: number; toMs?: number } = {}) =>
    (await store.find({ filter, limit: 100, ...extra })).map((r) => r.id);

  it('stores each event id once: repeats inside a batch and a redelivered batch add nothing', async () => {
    const account = randomUUID();
    const [a, b, c] = [0, 1, 2].map((i) => row({ actor_id: account, at: T + i })) as [
      AuditRow,
      AuditRow,
      AuditRow,
    ];
    expect(await store.insertNew([a, b, a])).toEqual({ inserted: 2, duplicates: 1 });
    expect(await store.insertNew([a, b, c])).toEqual({ inserted: 1, duplicates: 2 });
    expect(await store.insertNew([])).toEqual({ inserted: 0, duplicates: 0 });
    expect(await all({ kind: 'trail', accountId: account })).toEqual([c.id, b.id, a.id]);
  });

  it('reads back every column as the queries map it: strings, odd characters unchanged', async () => {
    const account = randomUUID();
    const stored = row({
      actor_id: account,
      at: T,
      result: 'DENIED',
      reason: "it's a \\ back'slash\nand a new line",
      user_agent: 'Mozilla/5.0 (한국어; ☃) 😀',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      metadata: JSON.stringify({ method: 'password', quote: '"\'' }),
    });
    await store.insertNew([stored]);
    const [read] = await store.find({ filter: { kind: 'trail', accountId: account }, limit: 10 });
    const expected: StoredAuditRow = {
      id: stored.id,
      occurred_at_ms: String(T),
      service: stored.service,
      action: stored.action,
      actor_id: account,
      target_type: stored.target_type,
      target_id: stored.target_id,
      result: 'DENIED',
      reason: stored.reason,
      ip_address: stored.ip_address,
      user_agent: stored.user_agent,
      trace_id: stored.trace_id,
      metadata: stored.metadata,
    };
    expect(read).toEqual(expected);
  });

  it('filters: login history, admin actions (of one actor or all) and the trail of an account', async () => {
    const account = randomUUID();
    const other = randomUUID();
    const admin = randomUUID();
    const rows = {
      login: row({ actor_id: account, action: 'account.login', at: T + 1 }),
      mfa: row({ actor_id: account, action: 'account.login.mfa', at: T + 2 }),
      anonymousFailure: row({
        action: 'account.login',
        target_type: 'account',
        target_id: account,
        result: 'FAILURE',
        at: T + 3,
      }),
      lock: row({ action: 'account.lock', target_type: 'account', target_id: account, at: T + 4 }),
      logout: row({ actor_id: account, action: 'account.logout', at: T + 5 }),
      loginLookalike: row({ actor_id: account, action: 'account.loginx', at: T + 6 }),
      consent: row({ actor_id: account, service: 'legal-service', action: 'consent.grant', at: T + 7 }),
      sanction: row({
        actor_id: admin,
        service: 'auth-service',
        action: 'sanction.apply',
        target_type: 'account',
        target_id: account,
        at: T + 8,
      }),
      roleAssign: row({
        actor_id: admin,
        service: 'auth-service',
        action: 'role.assign',
        target_type: 'role',
        at: T + 9,
      }),
      othersLogin: row({ actor_id: other, action: 'account.login', at: T + 10 }),
    };
    await store.insertNew(Object.values(rows));
    const ids = (...names: (keyof typeof rows)[]) => names.map((n) => rows[n].id);

    expect(await all({ kind: 'login', accountId: account })).toEqual(
      ids('lock', 'anonymousFailure', 'mfa', 'login'),
    );
    expect(await all({ kind: 'admin', actorId: admin })).toEqual(ids('roleAssign', 'sanction'));
    expect(await all({ kind: 'admin' })).toEqual(expect.arrayContaining(ids('roleAssign', 'sanction')));
    expect(await all({ kind: 'admin' })).not.toContain(rows.consent.id);
    expect(await all({ kind: 'trail', accountId: account })).toEqual(
      ids('sanction', 'consent', 'loginLookalike', 'logout', 'lock', 'anonymousFailure', 'mfa', 'login'),
    );
  });

  it('pages newest first, ties broken by id in byte order, continuing after the cursor without a gap', async () => {
    const account = randomUUID();
    // Upper case sorts before lower case in byte order (not in a natural-language collation).
    const rows = ['a-1', 'B-2', 'b-3', 'A-4', 'c-5', '_-6', 'Z-7'].map((tag, i) =>
      row({ id: `${tag}-${account}`, actor_id: account, at: T + (i < 5 ? 0 : i) }),
    );
    await store.insertNew(rows);
    const expected = [...rows]
      .sort((x, y) => y.occurred_at_ms - x.occurred_at_ms || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0))
      .map((r) => r.id);
    const paged: string[] = [];
    let after: { occurredAtMs: number; id: string } | undefined;
    for (;;) {
      const page = await store.find({
        filter: { kind: 'trail', accountId: account },
        limit: 2,
        ...(after === undefined ? {} : { after }),
      });
      paged.push(...page.map((r) => r.id));
      const last = page.at(-1);
      if (page.length < 2 || last === undefined) break;
      after = { occurredAtMs: Number(last.occurred_at_ms), id: last.id };
    }
    expect(paged).toEqual(expected);
    expect(await all({ kind: 'trail', accountId: account })).toEqual(expected);
  });

  it('time range: from inclusive, to exclusive, to the millisecond within one second and across', async () => {
    const account = randomUUID();
    const second = Math.floor(T / 1000) * 1000;
    const [r0, r1, r999, r1000] = [0, 1, 999, 1000].map((d) =>
      row({ actor_id: account, at: second + d }),
    ) as [AuditRow, AuditRow, AuditRow, AuditRow];
    await store.insertNew([r0, r1, r999, r1000]);
    const trail: AuditFilter = { kind: 'trail', accountId: account };
    expect(await all(trail, { fromMs: second + 1, toMs: second + 1000 })).toEqual([r999.id, r1.id]);
    expect(await all(trail, { fromMs: second + 999 })).toEqual([r1000.id, r999.id]);
    expect(await all(trail, { toMs: second + 1 })).toEqual([r0.id]);
  });

  it('partitions by category and UTC month with row counts; dropping one removes exactly its rows, again is harmless', async () => {
    const account = randomUUID();
    const admin = randomUUID();
    const at = (iso: string) => Date.parse(iso);
    const janFirst = row({ actor_id: account, at: at('2001-01-01T00:00:00.000Z') });
    const janLast = row({ actor_id: account, at: at('2001-01-31T23:59:59.999Z') });
    const feb = row({ actor_id: account, at: at('2001-02-01T00:00:00.000Z') });
    const adminJan = row({
      actor_id: admin,
      service: 'auth-service',
      action: 'role.assign',
      target_type: 'account',
      target_id: account,
      at: at('2001-01-15T12:00:00.000Z'),
    });
    await store.insertNew([janFirst, janLast, feb, adminJan]);
    const of2001 = async () =>
      (await store.partitions())
        .filter((p) => Math.floor(p.month / 100) === 2001)
        .sort((x, y) => x.month - y.month || x.category.localeCompare(y.category));
    expect(await of2001()).toEqual([
      { category: 'access', month: 200101, rows: 2 },
      { category: 'admin', month: 200101, rows: 1 },
      { category: 'access', month: 200102, rows: 1 },
    ]);

    await store.dropPartition({ category: 'access', month: 200101 });
    expect(await of2001()).toEqual([
      { category: 'admin', month: 200101, rows: 1 },
      { category: 'access', month: 200102, rows: 1 },
    ]);
    expect(await all({ kind: 'trail', accountId: account })).toEqual([feb.id, adminJan.id]);
    await expect(store.dropPartition({ category: 'access', month: 200101 })).resolves.toBeUndefined();
    expect(await all({ kind: 'trail', accountId: account })).toEqual([feb.id, adminJan.id]);
  });

  it("exports an account's whole trail for a DSR access request, oldest first, across pages of the store", async () => {
    const account = randomUUID();
    const rows = Array.from({ length: 1_100 }, (_, i) => row({ actor_id: account, at: T - i * 1000 }));
    await store.insertNew(rows);
    const dsr = new DsrService({
      store,
      policy: createPolicy({ name: 'audit-store-contract', retry: { maxRetries: 0 } }),
      publisher: { publish: async () => {}, close: async () => {} },
      topic: 'unused',
      retention: { access: 60, consent: 60, admin: 60, other: 24 },
      exportMaxBytes: 16 * 1024 * 1024,
      clock: { now: () => new Date(T) },
      logger: createLogger({ service: 'audit-store-contract', level: 'silent' }),
    });
    const answer = await dsr.answer('r-contract', account, DsrType.ACCESS);
    expect(answer.outcome).toBe(DsrOutcome.EXPORTED);
    const exported = JSON.parse(answer.exportJson) as { complete: boolean; auditEvents: { id: string }[] };
    expect(exported.complete).toBe(true);
    expect(exported.auditEvents.map((e) => e.id)).toEqual(rows.map((r) => r.id).reverse());
    expect((await dsr.answer('r-none', randomUUID(), DsrType.ACCESS)).outcome).toBe(DsrOutcome.NOTHING_HELD);
  });
});
