import type { Browser } from '@girok/e2e/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_FIELDS, SIGN_UP, signUpAndLogIn, startTestPlatform, type TestPlatform } from './support.ts';

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${LOGIN_FIELDS} } }`;
const SIGN_UP_LIMIT = 10;

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly setCookies: readonly string[];
}

describe('sign-up does not tell which emails have accounts, and is limited per client address', () => {
  let platform: TestPlatform;
  /** Replica 1: the default sign-up limit, behind a trusted proxy at 127.0.0.1. */
  let limited: number;

  beforeAll(async () => {
    platform = await startTestPlatform({ replicas: 1 });
    limited = await platform.addReplica({
      BFF_SIGNUP_RATE_LIMIT_PER_IP: String(SIGN_UP_LIMIT),
      BFF_TRUSTED_PROXIES: '127.0.0.1/32, ::1',
    });
  });
  afterAll(async () => {
    await platform?.close();
  });

  /** The raw answer to a sign-up, as the browser gets it, from a fresh browser. */
  const signUpAnswer = async (input: Record<string, unknown>): Promise<Answer> => {
    const browser = await platform.browser(0).prepare();
    const cookiesBefore = new Map(browser.cookies);
    const response = await browser.request(
      'POST',
      '/graphql',
      { query: SIGN_UP, variables: { input } },
      { 'x-csrf-token': browser.csrfToken ?? '' },
    );
    expect(browser.cookies).toEqual(cookiesBefore);
    return {
      status: response.status,
      body: await response.text(),
      setCookies: response.headers.getSetCookie(),
    };
  };

  it('a taken email and a new one get byte-identical answers, with no id and no cookie, and the owner is untouched', async () => {
    const owner = platform.newUser();
    const ownerBrowser = await platform.browser(0).prepare();
    const ownerLogin = await signUpAndLogIn<{ me: { account: { id: string; email: string } } }>(
      ownerBrowser,
      owner,
    );
    const ownerId = ownerLogin.data?.login.me.account.id;
    expect(ownerId).toEqual(expect.any(String));

    const attacker = platform.newUser({ email: owner.email, password: 'the attacker chose this one' });
    const stranger = platform.newUser({ password: 'the attacker chose this one' });
    const taken = await signUpAnswer(attacker);
    const fresh = await signUpAnswer(stranger);
    expect(taken).toEqual(fresh);
    expect(JSON.parse(taken.body)).toEqual({ data: { signUp: { status: 'SIGNED_UP' } } });
    expect(taken.setCookies).toEqual([]);
    // The REST face answers alike too.
    const rest = async (input: Record<string, unknown>) => {
      const browser = await platform.browser(0).prepare();
      const response = await browser.request('POST', '/api/v1/auth/sign-up', input, {
        'x-csrf-token': browser.csrfToken ?? '',
      });
      return {
        status: response.status,
        body: await response.text(),
        setCookies: response.headers.getSetCookie(),
      };
    };
    expect(await rest(platform.newUser({ email: owner.email }))).toEqual(await rest(platform.newUser()));

    // The owner's account is theirs as before: their password opens it, the attempt's does not.
    const withAttempt = await (await platform.browser(0).prepare()).graphql(LOGIN, {
      input: { identifier: owner.email, password: attacker.password },
    });
    expect(withAttempt.errors[0]?.extensions.code).toBe('INVALID_CREDENTIALS');
    const again = await (await platform.browser(0).prepare()).graphql<{
      login: { status: string; me: { account: { id: string; email: string } } };
    }>(LOGIN, { input: { identifier: owner.email, password: owner.password } });
    expect(again.data?.login).toMatchObject({
      status: 'AUTHENTICATED',
      me: { account: { id: ownerId, email: owner.email } },
    });
    // The account signed up with the new email exists, for its owner to log in to.
    const created = await (await platform.browser(0).prepare()).graphql<{ login: { status: string } }>(
      LOGIN,
      {
        input: { identifier: stranger.email, password: stranger.password },
      },
    );
    expect(created.data?.login.status).toBe('AUTHENTICATED');
  });

  it('the 11th sign-up from one address within the window is 429 with a retry-after; another address is unaffected', async () => {
    const from = (address: string): Browser => {
      const browser = platform.browser(limited);
      browser.headers['x-forwarded-for'] = address;
      return browser;
    };
    // The platform's store is its own: these addresses have no count yet.
    const address = '198.51.100.7';
    const signUp = async (browser: Browser) =>
      (await browser.prepare()).graphql<{ signUp: { status: string } }>(SIGN_UP, {
        input: platform.newUser(),
      });

    for (let i = 0; i < SIGN_UP_LIMIT; i += 1) {
      const accepted = await signUp(from(address));
      expect(accepted.errors, `sign-up ${i + 1}`).toEqual([]);
    }
    const browser = await from(address).prepare();
    const response = await browser.request(
      'POST',
      '/graphql',
      { query: SIGN_UP, variables: { input: platform.newUser() } },
      { 'x-csrf-token': browser.csrfToken ?? '' },
    );
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    // Over REST as well, and refused before identity is asked: the username stays free.
    const rest = from(address);
    await rest.request('GET', '/api/v1/csrf');
    const refused = platform.newUser();
    const restAnswer = await rest.request('POST', '/api/v1/auth/sign-up', refused, {
      'x-csrf-token': rest.csrfToken ?? '',
    });
    expect(restAnswer.status).toBe(429);
    expect(restAnswer.headers.get('retry-after')).toEqual(expect.stringMatching(/^\d+$/));
    expect(await restAnswer.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    const free = await signUp(from('198.51.100.8'));
    expect(free.data?.signUp.status).toBe('SIGNED_UP');
    const stillFree = await (await from('192.0.2.8').prepare()).graphql(SIGN_UP, {
      input: platform.newUser({ username: refused.username }),
    });
    expect(stillFree.errors).toEqual([]);
  });

  it('refuses more than 32 consents: what waits for the first login under any answered id stays small', async () => {
    const browser = await platform.browser(0).prepare();
    const consents = Array.from(
      { length: 33 },
      (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    );
    const refused = await browser.graphql(SIGN_UP, { input: platform.newUser({ consents }) });
    expect(refused.status).toBe(400);
    expect(refused.errors[0]?.extensions.code).toBe('TOO_MANY_CONSENTS');
  });
});
