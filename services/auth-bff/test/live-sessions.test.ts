import { type Browser, SocketRefused } from '@girok/e2e/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticator,
  LOGIN_FIELDS,
  SIGN_UP,
  signUpAndLogIn,
  startTestPlatform,
  type TestPlatform,
} from './support.ts';

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${LOGIN_FIELDS} } }`;
const VERIFY = `mutation($input: MfaInput!) { verifyMfa(input: $input) { ${LOGIN_FIELDS} } }`;

interface LoginData {
  status: string;
  challengeId: string | null;
  me: { sessionId: string; tokenType: string | null; restricted: boolean; account: { id: string } } | null;
}

async function login(browser: Browser, identifier: string, password: string): Promise<LoginData> {
  const result = await browser.graphql<{ login: LoginData }>(LOGIN, { input: { identifier, password } });
  expect(result.errors).toEqual([]);
  return result.data?.login as LoginData;
}

describe('browser sessions and the live session stream across two BFF replicas', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ replicas: 2 });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('sign up → log in → enrol MFA → log out → log in with TOTP → refresh, each new session pushed to the other device', async () => {
    const user = platform.newUser();
    // Device A talks to replica 0, device B to replica 1.
    const deviceA = await platform.browser(0, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0').prepare();
    const deviceB = await platform
      .browser(1, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1')
      .prepare();

    const signUp = await deviceA.graphql<{ signUp: { status: string } }>(SIGN_UP, { input: user });
    expect(signUp.data?.signUp).toEqual({ status: 'SIGNED_UP' });
    expect(deviceA.cookies.has('__Host-girok_session')).toBe(false);
    const onA = await login(deviceA, user.email, user.password);
    expect(onA).toMatchObject({
      status: 'AUTHENTICATED',
      me: { tokenType: 'USER_ACCESS', restricted: false },
    });
    expect(deviceA.cookies.has('__Host-girok_session')).toBe(true);

    const onB = await login(deviceB, user.username, user.password);
    expect(onB.status).toBe('AUTHENTICATED');
    const socketB = await deviceB.socket();

    const begin = await deviceA.graphql<{ beginTotpEnrollment: { secret: string } }>(
      'mutation { beginTotpEnrollment { secret provisioningUri } }',
    );
    const code = authenticator(begin.data?.beginTotpEnrollment.secret ?? '');
    const confirm = await deviceA.graphql<{ confirmTotpEnrollment: string[] }>(
      'mutation($code: String!) { confirmTotpEnrollment(code: $code) }',
      { code: code() },
    );
    expect(confirm.data?.confirmTotpEnrollment).toHaveLength(10);

    const firstSession = onA.me?.sessionId;
    expect((await deviceA.graphql<{ logout: boolean }>('mutation { logout }')).data?.logout).toBe(true);
    expect(deviceA.cookies.has('__Host-girok_session')).toBe(false);
    const revokedSeen = await socketB.next(
      (m) => m.type === 'session.revoked' && m.sessionId === firstSession,
    );
    expect(revokedSeen.message.current).toBe(false);

    await deviceA.prepare();
    const challenged = await login(deviceA, user.email, user.password);
    expect(challenged).toMatchObject({ status: 'MFA_REQUIRED', me: null });
    const sentAt = performance.now();
    const verified = await deviceA.graphql<{ verifyMfa: LoginData }>(VERIFY, {
      input: { challengeId: challenged.challengeId, totpCode: code(1) },
    });
    expect(verified.errors).toEqual([]);
    expect(verified.data?.verifyMfa).toMatchObject({
      status: 'AUTHENTICATED',
      me: { tokenType: 'USER_ACCESS' },
    });
    const newSession = verified.data?.verifyMfa.me?.sessionId;

    const created = await socketB.next(
      (m) => m.type === 'session.created' && m.sessionId === newSession,
      1000 + (performance.now() - sentAt),
    );
    expect(created.at - sentAt).toBeLessThan(1000);

    const refreshed = await deviceA.graphql<{ refreshSession: { sessionId: string } }>(
      'mutation { refreshSession { sessionId tokenType } }',
    );
    expect(refreshed.data?.refreshSession.sessionId).toBe(newSession);
    await socketB.next((m) => m.type === 'session.refreshed' && m.sessionId === newSession);

    const sessions = await deviceB.graphql<{ sessions: { id: string; current: boolean }[] }>(
      'query { sessions { id current } }',
    );
    expect(sessions.data?.sessions.map((s) => s.id)).toContain(newSession);
    expect(sessions.data?.sessions.filter((s) => s.current)).toHaveLength(1);
    socketB.close();
  });

  it('revoking device A from device B reaches A’s socket within a second, and A’s next request is 401', async () => {
    const user = platform.newUser();
    const deviceA = await platform.browser(0).prepare();
    await signUpAndLogIn(deviceA, user);
    const deviceB = await platform
      .browser(1, 'Mozilla/5.0 (Macintosh; Mac OS X 14_0) Safari/605.1')
      .prepare();
    const onB = await login(deviceB, user.email, user.password);
    const sessionA = (await deviceA.graphql<{ me: { sessionId: string } }>('query { me { sessionId } }')).data
      ?.me.sessionId;
    const socketA = await deviceA.socket();

    const sentAt = performance.now();
    const revoke = await deviceB.graphql<{ revokeSession: boolean }>(
      'mutation($id: ID!) { revokeSession(id: $id) }',
      { id: sessionA },
    );
    expect(revoke.errors).toEqual([]);
    const pushed = await socketA.next((m) => m.type === 'session.revoked' && m.sessionId === sessionA, 2000);
    expect(pushed.message.current).toBe(true);
    expect(pushed.at - sentAt).toBeLessThan(1000);
    expect(await socketA.closed()).toBe(4401);

    const after = await deviceA.graphql('query { me { sessionId } }');
    expect(after.status).toBe(401);
    expect(after.errors[0]?.extensions.code).toBe('SESSION_REQUIRED');
    // B is untouched.
    expect(
      (await deviceB.graphql<{ me: { sessionId: string } }>('query { me { sessionId } }')).data?.me.sessionId,
    ).toBe(onB.me?.sessionId);
  });

  it('a backup code logs in once', async () => {
    const user = platform.newUser();
    const browser = await platform.browser(0).prepare();
    await signUpAndLogIn(browser, user);
    const begin = await browser.graphql<{ beginTotpEnrollment: { secret: string } }>(
      'mutation { beginTotpEnrollment { secret } }',
    );
    const code = authenticator(begin.data?.beginTotpEnrollment.secret ?? '');
    const codes =
      (
        await browser.graphql<{ confirmTotpEnrollment: string[] }>(
          'mutation($code: String!) { confirmTotpEnrollment(code: $code) }',
          { code: code() },
        )
      ).data?.confirmTotpEnrollment ?? [];
    const backupCode = codes[0];

    const first = await platform.browser(1).prepare();
    const challenge = await login(first, user.email, user.password);
    const ok = await first.graphql<{ verifyMfa: LoginData }>(VERIFY, {
      input: { challengeId: challenge.challengeId, backupCode },
    });
    expect(ok.data?.verifyMfa.status).toBe('AUTHENTICATED');

    const second = await platform.browser(0).prepare();
    const again = await login(second, user.email, user.password);
    const refused = await second.graphql(VERIFY, { input: { challengeId: again.challengeId, backupCode } });
    expect(refused.data).toBeNull();
    expect(refused.errors[0]?.extensions.status).toBe(401);
    expect(second.cookies.has('__Host-girok_session')).toBe(false);
  });

  it('refuses a socket without the session cookie (401) or from a foreign Origin (403)', async () => {
    const browser = await platform.browser(0).prepare();
    await signUpAndLogIn(browser, platform.newUser());
    await expect(browser.socket('/ws/sessions', { cookies: false })).rejects.toEqual(new SocketRefused(401));
    await expect(browser.socket('/ws/sessions', { origin: 'https://evil.example' })).rejects.toEqual(
      new SocketRefused(403),
    );
    await expect(browser.socket('/graphql', { origin: 'https://evil.example' })).rejects.toEqual(
      new SocketRefused(403),
    );
    // The same browser with its cookie and the app's Origin gets in.
    const socket = await browser.socket();
    socket.close();
  });

  it('the 5-second poll ends a socket whose session ended when no event reaches its replica', async () => {
    // A replica of the same deployment that hears no identity events (no Kafka consumer).
    const deaf = await platform.addReplica({ KAFKA_BROKERS: '' });
    const browser = await platform.browser(deaf).prepare();
    const signedIn = await signUpAndLogIn<LoginData>(browser, platform.newUser());
    const socket = await browser.socket();
    // Revoked at identity-service directly: only this replica's poll can tell its socket.
    const me = signedIn.data?.login.me;
    await platform.identityGrpc.revokeSession(
      {
        accountId: me?.account.id ?? '',
        sessionId: me?.sessionId ?? '',
      },
      await platform.asAdmin(),
    );
    const revoked = await socket.next((m) => m.type === 'session.revoked' && m.current === true, 12_000);
    expect(revoked.message.sessionId).toBe(me?.sessionId);
  });
});
