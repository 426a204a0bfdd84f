import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totpCode } from '../src/crypto/totp.ts';
import { client, failure, newAccount, startTestIdentity, type TestIdentity } from './support.ts';

/** Trusting a device lets its next logins skip the second factor: a password alone must not buy it. */
describe('trusting a device needs a session that completed MFA on that device', () => {
  let identity: TestIdentity;
  beforeAll(async () => {
    identity = await startTestIdentity();
  });
  afterAll(async () => {
    await identity?.close();
  });

  /** The caller's own access token for one session, as gRPC metadata. */
  async function as(accountId: string, sessionId: string): Promise<Metadata> {
    const metadata = new Metadata();
    const token = await identity.callers.userToken({ accountId, sessionId });
    metadata.set('authorization', `Bearer ${token}`);
    return metadata;
  }

  async function passwordSession(input: { email: string; password: string }, device: string) {
    const login = await identity.grpc.authenticate({
      identifier: input.email,
      password: input.password,
      client: client('203.0.113.9', device),
    });
    return login.result;
  }

  it('refuses the password-only session of the attacker, and admits the MFA session on the device itself', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const secret = base32Decode((await identity.grpc.beginTotpEnrollment({ accountId })).secret);
    const code = () => totpCode(secret, identity.clock.now().getTime());
    await identity.grpc.confirmTotpEnrollment({ accountId, code: code() });
    identity.clock.advance(30_000);

    // An attacker who knows only the password gets a challenge, never a session, so no token to
    // trust its device with; even an account without MFA (below) cannot trust a device by password.
    const attacker = await passwordSession(input, 'attacker-device');
    expect(attacker.case).toBe('mfaChallenge');

    // The owner finishes the challenge on device A: that session may trust device A, not device B.
    if (attacker.case !== 'mfaChallenge') throw new Error('expected a challenge');
    const owner = await identity.grpc.verifyMfaChallenge({
      challengeId: attacker.value.challengeId,
      code: { case: 'totpCode', value: code() },
    });
    const session = owner.session?.session;
    expect(session?.mfaVerified).toBe(true);
    const { devices } = await identity.grpc.listDevices({ accountId });
    const deviceA = devices.find((d) => d.fingerprint === 'attacker-device');
    expect(deviceA).toBeDefined();

    const metadata = await as(accountId, session?.id ?? '');
    const trusted = await identity.grpc.trustDevice(
      { accountId, deviceId: deviceA?.id ?? '', trusted: true },
      { metadata },
    );
    expect(trusted.device?.trusted).toBe(true);
  });

  it('a session without a second factor cannot trust its own device', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const result = await passwordSession(input, 'laptop');
    if (result.case !== 'session') throw new Error(`expected a session, got ${result.case}`);
    const session = result.value.session;
    const metadata = await as(accountId, session?.id ?? '');
    const refused = await failure(
      identity.grpc.trustDevice(
        { accountId, deviceId: session?.deviceId ?? '', trusted: true },
        { metadata },
      ),
    );
    expect(refused).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'MFA_REQUIRED_ON_DEVICE' });
    const { devices } = await identity.grpc.listDevices({ accountId });
    expect(devices.every((d) => !d.trusted)).toBe(true);
    // Untrusting needs no second factor: it only takes a privilege away.
    const untrusted = await identity.grpc.trustDevice(
      { accountId, deviceId: session?.deviceId ?? '', trusted: false },
      { metadata },
    );
    expect(untrusted.device?.trusted).toBe(false);
  });

  it('an MFA session cannot trust another device of the account, nor a device of another account', async () => {
    const input = newAccount();
    const { account } = await identity.grpc.createAccount(input);
    const accountId = account?.id ?? '';
    const secret = base32Decode((await identity.grpc.beginTotpEnrollment({ accountId })).secret);
    const code = () => totpCode(secret, identity.clock.now().getTime());
    await identity.grpc.confirmTotpEnrollment({ accountId, code: code() });
    identity.clock.advance(30_000);
    const other = await passwordSession(input, 'device-b');
    if (other.case !== 'mfaChallenge') throw new Error('expected a challenge');
    const first = await passwordSession(input, 'device-a');
    if (first.case !== 'mfaChallenge') throw new Error('expected a challenge');
    const done = await identity.grpc.verifyMfaChallenge({
      challengeId: first.value.challengeId,
      code: { case: 'totpCode', value: code() },
    });
    const { devices } = await identity.grpc.listDevices({ accountId });
    const deviceB = devices.find((d) => d.fingerprint === 'device-b');
    const metadata = await as(accountId, done.session?.session?.id ?? '');
    const refused = await failure(
      identity.grpc.trustDevice({ accountId, deviceId: deviceB?.id ?? '', trusted: true }, { metadata }),
    );
    expect(refused.code).toBe('MFA_REQUIRED_ON_DEVICE');
  });
});
