import { SanctionType } from '@girok/contracts/auth/v1/auth';
import { APP_ORIGIN, type Browser, SocketRefused } from '@girok/e2e/browser';
import { TokenVerifier } from '@girok/kit/auth';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  authenticator,
  LOGIN_FIELDS,
  signUpAndLogIn,
  startTestPlatform,
  type TestPlatform,
} from './support.ts';

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${LOGIN_FIELDS} } }`;
const ADMIN_LOGIN = `mutation($input: LoginInput!) { adminLogin(input: $input) { ${LOGIN_FIELDS} } }`;
const VERIFY = `mutation($input: MfaInput!) { verifyMfa(input: $input) { ${LOGIN_FIELDS} } }`;

type Login = {
  status: string;
  challengeId: string | null;
  me: { sessionId: string; tokenType: string | null; restricted: boolean; account: { id: string } } | null;
};

describe('auth-bff security: admin tokens, sanctions, key rotation, CSRF, query limits, REST and subscriptions', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    // A short JWKS cache so a retired key stops verifying within the test.
    platform = await startTestPlatform({ replicas: 2, bff: { JWKS_CACHE_MAX_AGE_MS: '500' } });
  });
  afterAll(async () => {
    await platform?.close();
  });

  const signedUp = async (
    replica = 0,
  ): Promise<{ browser: Browser; login: Login; user: ReturnType<TestPlatform['newUser']> }> => {
    const user = platform.newUser();
    const browser = await platform.browser(replica).prepare();
    const result = await signUpAndLogIn<Login>(browser, user);
    expect(result.errors).toEqual([]);
    return { browser, login: result.data?.login as Login, user };
  };

  it('an admin without MFA gets no admin token: a restricted session that can only enrol', async () => {
    const admin = await platform.newAdmin();
    const browser = await platform.browser(0).prepare();
    const first = await browser.graphql<{ adminLogin: Login }>(ADMIN_LOGIN, {
      input: { identifier: admin.email, password: admin.password },
    });
    expect(first.data?.adminLogin).toMatchObject({
      status: 'MFA_ENROLLMENT_REQUIRED',
      me: { tokenType: null, restricted: true },
    });
    const sessions = await browser.graphql('query { sessions { id } }');
    expect(sessions.status).toBe(403);
    expect(sessions.errors[0]?.extensions.code).toBe('MFA_ENROLLMENT_REQUIRED');
    await expect(browser.socket()).rejects.toEqual(new SocketRefused(401));

    // Enrolment is what the restricted session is for; then a real admin login.
    const begin = await browser.graphql<{ beginTotpEnrollment: { secret: string } }>(
      'mutation { beginTotpEnrollment { secret } }',
    );
    const code = authenticator(begin.data?.beginTotpEnrollment.secret ?? '');
    const confirmed = await browser.graphql(
      'mutation($code: String!) { confirmTotpEnrollment(code: $code) }',
      { code: code() },
    );
    expect(confirmed.errors).toEqual([]);
    await browser.graphql('mutation { logout }');
    await browser.prepare();
    const challenged = await browser.graphql<{ adminLogin: Login }>(ADMIN_LOGIN, {
      input: { identifier: admin.email, password: admin.password },
    });
    expect(challenged.data?.adminLogin.status).toBe('MFA_REQUIRED');
    const verified = await browser.graphql<{ verifyMfa: Login }>(VERIFY, {
      input: { challengeId: challenged.data?.adminLogin.challengeId, totpCode: code(1) },
    });
    expect(verified.data?.verifyMfa).toMatchObject({
      status: 'AUTHENTICATED',
      me: { tokenType: 'ADMIN_ACCESS', restricted: false },
    });

    // The platform-wide live view needs session:read_all.
    await expect(browser.socket('/ws/sessions?scope=platform')).rejects.toEqual(new SocketRefused(403));
    const asRoot = await platform.asAdmin();
    const { roles } = await platform.authGrpc.listRoles({}, asRoot);
    const securityAdmin = roles.find((r) => r.name === 'security_admin');
    await platform.authGrpc.assignRole({ accountId: admin.id, roleId: securityAdmin?.id ?? '' }, asRoot);
    const platformView = await browser.socket('/ws/sessions?scope=platform');
    const someone = await signedUp(1);
    const seen = await platformView.next(
      (m) => m.type === 'session.created' && m.sessionId === someone.login.me?.sessionId,
    );
    expect(seen.message.accountId).toBe(someone.login.me?.account.id);
    platformView.close();
  });

  it('the admin console refuses a user account', async () => {
    const { user } = await signedUp();
    const browser = await platform.browser(1).prepare();
    const result = await browser.graphql(ADMIN_LOGIN, {
      input: { identifier: user.email, password: user.password },
    });
    expect(result.status).toBe(403);
    expect(result.errors[0]?.extensions.code).toBe('NOT_AN_ADMIN_ACCOUNT');
    expect(browser.cookies.has('__Host-girok_session')).toBe(false);
  });

  it('a banned account cannot log in, and its live session ends', async () => {
    const { browser, login, user } = await signedUp();
    await platform.authGrpc.createSanction(
      {
        accountId: login.me?.account.id ?? '',
        type: SanctionType.PERMANENT_BAN,
        reason: 'fraud',
      },
      await platform.asAdmin(),
    );
    await expect
      .poll(async () => (await browser.graphql('query { me { sessionId } }')).status, { timeout: 6000 })
      .toBe(401);
    const again = await platform.browser(1).prepare();
    const refused = await again.graphql(LOGIN, {
      input: { identifier: user.email, password: user.password },
    });
    expect(refused.status).toBe(403);
    expect(refused.errors[0]?.extensions.code).toBe('ACCOUNT_BANNED');
    expect(again.cookies.has('__Host-girok_session')).toBe(false);
  });

  it('after a key rotation old and new tokens verify; after the old key retires its tokens do not', async () => {
    const before = await signedUp(0);
    const oldToken = (
      await platform.authGrpc.issueAccessToken({ sessionId: before.login.me?.sessionId ?? '' })
    ).accessToken;
    const { previous } = await platform.authGrpc.rotateSigningKey({}, await platform.asAdmin());
    const after = await signedUp(1);
    const newToken = (
      await platform.authGrpc.issueAccessToken({ sessionId: after.login.me?.sessionId ?? '' })
    ).accessToken;
    const verifier = new TokenVerifier({
      jwksUrl: `${platform.auth.httpUrl}/.well-known/jwks.json`,
      issuer: 'girok-auth',
      audience: 'girok',
      cacheMaxAgeMs: 0,
      cooldownMs: 0,
    });
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ sid: before.login.me?.sessionId });
    await expect(verifier.verify(newToken)).resolves.toMatchObject({ sid: after.login.me?.sessionId });
    expect((await before.browser.graphql('query { me { sessionId } }')).status).toBe(200);
    expect((await after.browser.graphql('query { me { sessionId } }')).status).toBe(200);

    await platform.authGrpc.retireSigningKey({ kid: previous?.kid ?? '' }, await platform.asAdmin());
    await expect(verifier.verify(oldToken)).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    await expect(verifier.verify(newToken)).resolves.toMatchObject({ sid: after.login.me?.sessionId });
    // The BFFs' JWKS cache (500 ms here) lets the retired key go.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await before.browser.graphql('query { me { sessionId } }')).status).toBe(401);
    expect((await after.browser.graphql('query { me { sessionId } }')).status).toBe(200);
  });

  it('refuses a state-changing request without the CSRF token (403), over GraphQL and REST', async () => {
    const { browser, user } = await signedUp();
    const missing = await browser.graphql('mutation { revokeOtherSessions }', {}, { csrf: false });
    expect(missing.status).toBe(403);
    expect(missing.errors[0]?.extensions.code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await browser.request(
      'POST',
      '/graphql',
      { query: 'mutation { revokeOtherSessions }' },
      { 'x-csrf-token': 'x'.repeat(43) },
    );
    expect(wrong.status).toBe(403);
    // Anonymous changes (login) too: a page on another site cannot log a victim into its account.
    const fresh = await platform.browser(1).prepare();
    const rest = await fresh.request('POST', '/api/v1/auth/login', {
      identifier: user.email,
      password: user.password,
    });
    expect(rest.status).toBe(403);
    expect(rest.headers.get('content-type')).toContain('application/problem+json');
    expect(await rest.json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID', status: 403 });
    // A read needs no token.
    expect((await browser.graphql('query { me { sessionId } }', {}, { csrf: false })).status).toBe(200);
  });

  it('refuses a query over the depth or complexity limit before running it', async () => {
    const { browser } = await signedUp();
    const deep = await browser.graphql(
      'query { me { sessionId } __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }',
    );
    expect(deep.status).toBe(400);
    expect(deep.errors[0]?.extensions.code).toBe('QUERY_TOO_DEEP');
    const aliases = Array.from({ length: 400 }, (_, i) => `a${i}: csrfToken`).join(' ');
    const wide = await browser.graphql(`query { ${aliases} }`);
    expect(wide.status).toBe(400);
    expect(wide.errors[0]?.extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('serves the same flows over REST with problem+json errors', async () => {
    const user = platform.newUser();
    const browser = platform.browser(1);
    const csrf = await browser.request('GET', '/api/v1/csrf');
    expect(csrf.status).toBe(200);
    const headers = { 'x-csrf-token': browser.csrfToken ?? '' };
    const signUp = await browser.request('POST', '/api/v1/auth/sign-up', user, headers);
    expect(signUp.status).toBe(200);
    expect(await signUp.json()).toEqual({ status: 'SIGNED_UP' });
    expect(browser.cookies.has('__Host-girok_session')).toBe(false);
    const login = await browser.request(
      'POST',
      '/api/v1/auth/login',
      { identifier: user.email, password: user.password },
      headers,
    );
    expect(await login.json()).toMatchObject({ status: 'AUTHENTICATED', me: { tokenType: 'USER_ACCESS' } });
    const me = await browser.request('GET', '/api/v1/me');
    expect(await me.json()).toMatchObject({ account: { email: user.email } });
    const sessions = await browser.request('GET', '/api/v1/sessions');
    expect(((await sessions.json()) as unknown[]).length).toBe(1);

    const other = platform.browser(0);
    await other.request('GET', '/api/v1/csrf');
    const wrong = await other.request(
      'POST',
      '/api/v1/auth/login',
      { identifier: user.email, password: 'not the password at all' },
      { 'x-csrf-token': other.csrfToken ?? '' },
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });
    const invalid = await other.request(
      'POST',
      '/api/v1/auth/sign-up',
      { email: 'not-an-email', username: 'x', password: 'short', country: 'KR' },
      { 'x-csrf-token': other.csrfToken ?? '' },
    );
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['email', 'password']),
    );

    const logout = await browser.request('POST', '/api/v1/auth/logout', undefined, {
      'x-csrf-token': browser.csrfToken ?? '',
    });
    expect(logout.status).toBe(200);
    const gone = await browser.request('GET', '/api/v1/me');
    expect(gone.status).toBe(401);
    expect(await gone.json()).toMatchObject({ code: 'SESSION_REQUIRED' });
  });

  it('streams the caller’s session changes as a GraphQL subscription (graphql-ws)', async () => {
    const { browser, user } = await signedUp(0);
    const cookie = browser.cookieHeader;
    class BrowserSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { cookie, origin: APP_ORIGIN } });
      }
    }
    const client = createClient({
      url: `${platform.bffs[0]?.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: BrowserSocket,
      retryAttempts: 0,
    });
    const changes = client.iterate<{ sessionChanges: { type: string; sessionId: string; current: boolean } }>(
      {
        query: 'subscription { sessionChanges { type sessionId current accountId } }',
      },
    );
    const received: { type: string; sessionId: string; current: boolean }[] = [];
    const reading = (async () => {
      for await (const result of changes) if (result.data) received.push(result.data.sessionChanges);
    })();
    // Logins elsewhere until one is seen (the subscription becomes active asynchronously); each
    // also registers a device, so the stream carries device changes too.
    const logins: string[] = [];
    const createdForLogin = () =>
      received.find((c) => c.type === 'session.created' && logins.includes(c.sessionId));
    for (let attempt = 0; attempt < 5 && createdForLogin() === undefined; attempt += 1) {
      const other = await platform.browser(1).prepare();
      const login = await other.graphql<{ login: Login }>(LOGIN, {
        input: { identifier: user.email, password: user.password },
      });
      logins.push(login.data?.login.me?.sessionId ?? '');
      const deadline = Date.now() + 1000;
      while (createdForLogin() === undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    }
    expect(createdForLogin()).toMatchObject({ type: 'session.created', current: false });
    await changes.return?.();
    await client.dispose();
    await reading;
  });
});
