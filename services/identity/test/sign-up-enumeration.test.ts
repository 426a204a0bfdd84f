import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  failure,
  newAccount,
  pairedTimingGap,
  startTestIdentity,
  type TestIdentity,
  TimedHasher,
} from './support.ts';

describe('sign-up does not tell which emails have accounts', () => {
  let identity: TestIdentity;
  const hasher = new TimedHasher();
  beforeAll(async () => {
    // No relay: the outbox rows stay, so the test reads the owner's event where it was queued.
    identity = await startTestIdentity({}, { passwordHasher: hasher, relay: false });
  });
  afterAll(async () => {
    await identity?.close();
  });

  it('a taken email gets the answer a new one gets, creates nothing, and queues signup_attempted for the owner', async () => {
    const owner = newAccount();
    const { account: existing } = await identity.grpc.createAccount(owner);
    const attempt = newAccount({ email: owner.email });
    const fresh = newAccount();
    const [taken, created] = await Promise.all([
      identity.grpc.createAccount({ ...attempt, client: client() }),
      identity.grpc.createAccount({ ...fresh, client: client() }),
    ]);
    const shape = (account: typeof taken.account) => ({
      ...account,
      id: typeof account?.id,
      email: typeof account?.email,
      username: typeof account?.username,
      createdAt: typeof account?.createdAt,
      updatedAt: typeof account?.updatedAt,
    });
    expect(shape(taken.account)).toEqual(shape(created.account));
    expect(taken.account?.email).toBe(owner.email);
    expect(taken.account?.username).toBe(attempt.username);
    expect(taken.account?.id).not.toBe(existing?.id);

    const rows = await identity.db
      .selectFrom('accounts')
      .select(['id', 'username'])
      .where('email', '=', owner.email)
      .execute();
    expect(rows).toEqual([{ id: existing?.id, username: owner.username }]);
    const events = await identity.db
      .selectFrom('outbox_events')
      .select(['topic', 'type', 'key'])
      .where('key', '=', existing?.id ?? '')
      .where('type', '=', 'girok.identity.v1.account.signup_attempted')
      .execute();
    expect(events).toEqual([
      { topic: 'identity.account.v1', type: 'girok.identity.v1.account.signup_attempted', key: existing?.id },
    ]);
    // The attempt's password opens nothing, and the owner's still works.
    const refused = await failure(
      identity.grpc.authenticate({ identifier: owner.email, password: attempt.password, client: client() }),
    );
    expect(refused.code).toBe('INVALID_CREDENTIALS');
    const session = await identity.grpc.authenticate({
      identifier: owner.email,
      password: owner.password,
      client: client(),
    });
    expect(session.result.case).toBe('session');
  });

  it('a taken username is USERNAME_TAKEN whether or not the email is taken', async () => {
    const owner = newAccount();
    await identity.grpc.createAccount(owner);
    const other = newAccount();
    await identity.grpc.createAccount(other);
    const withTakenEmail = await failure(
      identity.grpc.createAccount(newAccount({ email: other.email, username: owner.username })),
    );
    const withFreeEmail = await failure(
      identity.grpc.createAccount(newAccount({ username: owner.username })),
    );
    expect(withTakenEmail.code).toBe('USERNAME_TAKEN');
    expect(withTakenEmail.fieldViolations).toEqual(withFreeEmail.fieldViolations);
    expect(withFreeEmail.code).toBe('USERNAME_TAKEN');
  });

  it('a taken email and a new one do the same work besides the hash: the median of 40 paired differences is under 1 ms (or its noise)', async () => {
    const owners = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const input = newAccount();
        await identity.grpc.createAccount(input);
        return input;
      }),
    );
    const time = async (email: string) => {
      const started = performance.now();
      const hashing = hasher.spentMs;
      await identity.grpc.createAccount(newAccount({ email }));
      return performance.now() - started - (hasher.spentMs - hashing);
    };
    for (let i = 0; i < 3; i += 1) {
      await time(owners[0]?.email ?? '');
      await time(newAccount().email);
    }
    const gap = await pairedTimingGap(
      40,
      (i) => time(owners[i % owners.length]?.email ?? ''),
      () => time(newAccount().email),
    );
    expect(
      Math.abs(gap.median),
      `besides the hash, a new email is ${gap.median.toFixed(2)} ms slower (bound ${gap.boundMs.toFixed(2)} ms)`,
    ).toBeLessThan(gap.boundMs);
  });
});
