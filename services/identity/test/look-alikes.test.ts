import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

/** ASCII → its full-width form (U+FF01…U+FF5E), which NFKC folds back. */
const fullWidth = (value: string) =>
  [...value].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
const ZERO_WIDTH_SPACE = '\u200b';
const CYRILLIC_A = '\u0430';

describe('look-alike emails and usernames', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    identity = await startTestIdentity();
  });
  afterAll(async () => {
    await identity?.close();
  });

  /** An account whose email has an accent (to decompose) and whose username has an m and an l (to fake). */
  const original = async () => {
    const tag = randomBytes(4).toString('hex');
    const input = newAccount({ email: `josé.paypal.${tag}@example.com`, username: `mypal_${tag}` });
    const { account } = await identity.grpc.createAccount(input);
    return { input, id: account?.id ?? '' };
  };
  const accountCount = async () =>
    Number(
      (
        await identity.db
          .selectFrom('accounts')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it.each([
    ['full-width', (email: string) => fullWidth(email)],
    ['decomposed (NFD)', (email: string) => email.normalize('NFD')],
    ['zero-width space', (email: string) => email.replace('@', `${ZERO_WIDTH_SPACE}@`)],
    ['upper-cased and soft-hyphenated', (email: string) => `\u00ad${email.toUpperCase()}`],
  ])('a variant of an existing email (%s) is the same email: no second account', async (_, variant) => {
    const { input } = await original();
    const before = await accountCount();
    // Answered as if created (sign-up does not tell which emails have accounts), but not created.
    await identity.grpc.createAccount(newAccount({ email: variant(input.email), password: input.password }));
    expect(await accountCount()).toBe(before);
  });

  it('an email mixing Cyrillic and Latin letters in one part is refused, and creates nothing', async () => {
    const { input } = await original();
    const before = await accountCount();
    const error = await failure(
      identity.grpc.createAccount(newAccount({ email: input.email.replace('paypal', `p${CYRILLIC_A}ypal`) })),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.fieldViolations).toEqual([
      { field: 'email', description: 'must not mix Latin, Cyrillic or Greek letters within a part' },
    ]);
    expect(await accountCount()).toBe(before);
  });

  it.each([
    ['full-width', (username: string) => fullWidth(username)],
    [
      'zero-width space',
      (username: string) => `${username.slice(0, 3)}${ZERO_WIDTH_SPACE}${username.slice(3)}`,
    ],
    ['digit one for the letter l (UTS #39 skeleton)', (username: string) => username.replace('l', '1')],
    ['r n for the letter m (UTS #39 skeleton)', (username: string) => username.replace('m', 'rn')],
  ])('a variant of an existing username (%s) is USERNAME_TAKEN', async (_, variant) => {
    const { input } = await original();
    const before = await accountCount();
    const error = await failure(
      identity.grpc.createAccount(newAccount({ username: variant(input.username) })),
    );
    expect(error.code).toBe('USERNAME_TAKEN');
    expect(await accountCount()).toBe(before);
  });

  it('a username mixing Cyrillic and Latin letters is INVALID_ARGUMENT naming the mix', async () => {
    const error = await failure(
      identity.grpc.createAccount(
        newAccount({ username: `p${CYRILLIC_A}ypal_${randomBytes(3).toString('hex')}` }),
      ),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.fieldViolations).toEqual([
      { field: 'username', description: 'must not mix Latin, Cyrillic or Greek letters' },
    ]);
  });

  it('renaming to a look-alike of another username is USERNAME_TAKEN', async () => {
    const { input } = await original();
    const { account } = await identity.grpc.createAccount(newAccount());
    const error = await failure(
      identity.grpc.updateAccount({
        accountId: account?.id ?? '',
        username: input.username.replace('l', '1'),
      }),
    );
    expect(error.code).toBe('USERNAME_TAKEN');
  });

  it('logs in with a full-width email, a decomposed email or a username with a zero-width space', async () => {
    const { input, id } = await original();
    for (const identifier of [
      fullWidth(input.email),
      input.email.normalize('NFD'),
      `${ZERO_WIDTH_SPACE}${input.username}`,
    ]) {
      const response = await identity.grpc.authenticate({
        identifier,
        password: input.password,
        client: client(),
      });
      expect(response.result.case).toBe('session');
      if (response.result.case === 'session') expect(response.result.value.session?.accountId).toBe(id);
    }
  });
});
