import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../src/crypto/password-hasher.ts';
import { client, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

/** The real hasher, counting the passwords it actually checks against a stored hash. */
class CountingHasher extends PasswordHasher {
  evaluated = 0;
  override async verify(phc: string, password: string): Promise<boolean> {
    this.evaluated += 1;
    return super.verify(phc, password);
  }
}

const MAX_FAILURES = 5;

describe('lockout under concurrent attempts', () => {
  let identity: TestIdentity;
  const hasher = new CountingHasher();
  beforeAll(async () => {
    // No relay: the outbox rows stay, so the test can count what each attempt recorded.
    identity = await startTestIdentity({}, { passwordHasher: hasher, relay: false });
  });
  afterAll(async () => {
    await identity?.close();
  });

  const loginAudits = async (accountId: string) => {
    const rows = await identity.db
      .selectFrom('outbox_events')
      .select('data')
      .where('topic', '=', 'audit.event.v1')
      .where('key', '=', accountId)
      .execute();
    const audits = rows.map(
      (row) => (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, string>,
    );
    const count = (action: string, result: string, reason = '') =>
      audits.filter((a) => a.action === action && a.result === result && (a.reason ?? '') === reason).length;
    return {
      failed: count('account.login', 'AUDIT_RESULT_FAILURE', 'INVALID_CREDENTIALS'),
      denied: count('account.login', 'AUDIT_RESULT_DENIED', 'ACCOUNT_LOCKED'),
      succeeded: count('account.login', 'AUDIT_RESULT_SUCCESS'),
      locks: count('account.lock', 'AUDIT_RESULT_SUCCESS', 'TOO_MANY_FAILURES'),
    };
  };

  const attempt = (identifier: string, password: string) =>
    identity.grpc.authenticate({ identifier, password, client: client() }).then(
      () => 'session' as const,
      (error: unknown) => error,
    );

  it('50 wrong passwords at once: exactly 5 are checked, the other 45 are refused as locked, one lock', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const before = hasher.evaluated;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => attempt(input.email, `wrong password ${i}`)),
    );
    expect(results.every((r) => r !== 'session')).toBe(true);
    expect(hasher.evaluated - before).toBe(MAX_FAILURES);
    expect(await loginAudits(accountId)).toEqual({ failed: 5, denied: 45, succeeded: 0, locks: 1 });
    const locked = await failure(
      identity.grpc.authenticate({ identifier: input.email, password: input.password, client: client() }),
    );
    expect(locked.code).toBe('INVALID_CREDENTIALS');
  });

  it('8 wrong passwords and the right one at once: at most 5 are checked, and the right one gets in only if it was among them', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const before = hasher.evaluated;
    const results = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => attempt(input.username, `wrong password ${i}`)),
      attempt(input.username, input.password),
    ]);
    const evaluated = hasher.evaluated - before;
    expect(evaluated).toBeLessThanOrEqual(MAX_FAILURES);
    const audits = await loginAudits(accountId);
    expect(audits.failed + audits.succeeded).toBe(evaluated);
    expect(audits.denied).toBe(9 - evaluated);
    expect(audits.succeeded).toBe(results.at(-1) === 'session' ? 1 : 0);
  });

  it('the right password after 5 concurrent failures is refused, and accepted once the lock expires', async () => {
    const input = newAccount();
    await identity.grpc.createAccount(input);
    await Promise.all(Array.from({ length: 5 }, (_, i) => attempt(input.email, `wrong password ${i}`)));
    expect(await attempt(input.email, input.password)).not.toBe('session');
    identity.clock.advance(15 * 60_000 + 1_000);
    try {
      expect(await attempt(input.email, input.password)).toBe('session');
    } finally {
      identity.clock.offsetMs = 0;
    }
  });
});
