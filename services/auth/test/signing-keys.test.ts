import { SigningKeyStatus } from '@girok/contracts/auth/v1/auth';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyService } from '../src/services/signing-key.service.ts';
import {
  dropDatabase,
  failure,
  freshDatabaseUrl,
  pendingAudits,
  signUpAndLogin,
  startAuth,
  startTestPlatform,
  type TestAuth,
  type TestPlatform,
} from './support.ts';

const HOUR = 3_600_000;

async function jwksKids(auth: TestAuth): Promise<string[]> {
  const body = (await (await auth.rest('GET', '/.well-known/jwks.json')).json()) as {
    keys: { kid: string }[];
  };
  return body.keys.map((key) => key.kid);
}

describe('signing key rotation and retirement', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ AUTH_SIGNING_KEY_CACHE_MS: '200' }, { relay: false });
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('starts with one ACTIVE key and the NEXT one, both published', async () => {
    const { keys } = await platform.auth.grpc.listSigningKeys({ includeRetired: true });
    expect(keys.map((k) => [k.status, k.algorithm])).toEqual([
      [SigningKeyStatus.NEXT, 'ES256'],
      [SigningKeyStatus.ACTIVE, 'ES256'],
    ]);
    expect(await jwksKids(platform.auth)).toEqual(keys.map((k) => k.kid));
  });

  it('old-key and new-key tokens both verify after a rotation; after retirement only the new one does', async () => {
    const { auth, identity } = platform;
    const user = await signUpAndLogin(identity);
    const tokenA = (await auth.grpc.issueAccessToken({ sessionId: user.sessionId })).accessToken;
    const actorId = '0190a8d2-1c6e-7000-8000-00000000a11c';
    // A verifier that fetched the JWKS before the rotation and will not fetch it again.
    const early = auth.verifier({ cacheMaxAgeMs: 3_600_000, cooldownMs: 3_600_000 });
    expect((await early.verify(tokenA)).sub).toBe(user.accountId);
    const [published] = (await auth.grpc.listSigningKeys({})).keys;
    expect(published?.status).toBe(SigningKeyStatus.NEXT);
    const rotated = await auth.grpc.rotateSigningKey({ actorId });
    // The key that now signs is the one published ahead of use.
    expect(rotated.active?.kid).toBe(published?.kid);
    const oldKid = decodeProtectedHeader(tokenA).kid ?? '';
    expect(rotated.previous?.kid).toBe(oldKid);
    expect(rotated.previous?.status).toBe(SigningKeyStatus.PREVIOUS);
    expect(rotated.active?.status).toBe(SigningKeyStatus.ACTIVE);
    // This replica signs with the new key at once (its cache was refreshed by the rotation).
    const tokenB = (await auth.grpc.issueAccessToken({ sessionId: user.sessionId })).accessToken;
    expect(decodeProtectedHeader(tokenB).kid).toBe(rotated.active?.kid);
    const [next] = (await auth.grpc.listSigningKeys({})).keys;
    expect(next?.status).toBe(SigningKeyStatus.NEXT);
    expect(await jwksKids(auth)).toEqual([next?.kid, rotated.active?.kid, oldKid]);
    // So the verifier with the old JWKS already knows the new key.
    expect((await early.verify(tokenB)).sub).toBe(user.accountId);

    const verifier = auth.verifier({ cacheMaxAgeMs: 50, cooldownMs: 0 });
    expect((await verifier.verify(tokenA)).sub).toBe(user.accountId);
    expect((await verifier.verify(tokenB)).sub).toBe(user.accountId);

    const retired = await auth.grpc.retireSigningKey({ kid: oldKid, actorId });
    expect(retired.key?.status).toBe(SigningKeyStatus.RETIRED);
    expect(await jwksKids(auth)).toEqual([next?.kid, rotated.active?.kid]);
    await new Promise((resolve) => setTimeout(resolve, 100)); // past the verifier's 50 ms JWKS cache
    const rejected = await failure(verifier.verify(tokenA));
    expect(rejected.code).toBe('TOKEN_KEY_UNKNOWN');
    expect((await verifier.verify(tokenB)).sub).toBe(user.accountId);
    // Retiring twice is harmless.
    expect((await auth.grpc.retireSigningKey({ kid: oldKid })).key?.status).toBe(SigningKeyStatus.RETIRED);

    const listed = await auth.grpc.listSigningKeys({ includeRetired: true });
    expect(listed.keys.map((k) => [k.kid, k.status])).toEqual([
      [next?.kid, SigningKeyStatus.NEXT],
      [rotated.active?.kid, SigningKeyStatus.ACTIVE],
      [oldKid, SigningKeyStatus.RETIRED],
    ]);
    expect(listed.keys[2]?.rotatedOutAt).toBeDefined();
    expect(listed.keys[2]?.retiredAt).toBeDefined();
    expect((await auth.grpc.listSigningKeys({})).keys.map((k) => k.kid)).toEqual([
      next?.kid,
      rotated.active?.kid,
    ]);

    const audits = (await pendingAudits(auth.db)).filter((a) => a.action.startsWith('signing_key.'));
    expect(audits.map((a) => [a.action, a.actorId, a.targetId, a.metadata?.trigger])).toEqual([
      ['signing_key.rotate', undefined, oldKid, 'bootstrap'],
      ['signing_key.rotate', actorId, rotated.active?.kid, 'request'],
      ['signing_key.retire', actorId, oldKid, 'request'],
    ]);
  });

  it('neither the active nor the next key can be retired; an unknown kid is NOT_FOUND', async () => {
    const { auth } = platform;
    const [next, active] = (await auth.grpc.listSigningKeys({})).keys;
    const refused = await failure(auth.grpc.retireSigningKey({ kid: active?.kid ?? '' }));
    expect(refused.code).toBe('SIGNING_KEY_ACTIVE');
    expect(refused.grpcStatus).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect((await failure(auth.grpc.retireSigningKey({ kid: next?.kid ?? '' }))).code).toBe(
      'SIGNING_KEY_NEXT',
    );
    expect((await auth.grpc.listSigningKeys({})).keys.map((k) => k.status)).toEqual([
      SigningKeyStatus.NEXT,
      SigningKeyStatus.ACTIVE,
    ]);
    const unknown = await failure(auth.grpc.retireSigningKey({ kid: 'no-such-kid' }));
    expect(unknown.code).toBe('SIGNING_KEY_NOT_FOUND');
    const empty = await failure(auth.grpc.retireSigningKey({ kid: '' }));
    expect(empty.fieldViolations.map((v) => v.field)).toEqual(['kid']);
  });

  it('private keys are stored encrypted under the key ring, bound to their kid', async () => {
    const rows = await platform.auth.db
      .selectFrom('signing_keys')
      .select(['kid', 'private_key_encrypted'])
      .execute();
    for (const row of rows) {
      expect(row.private_key_encrypted).toMatch(/^v1\.k1\./);
      expect(row.private_key_encrypted).not.toContain('"d"');
      expect(platform.auth.config.keyRing.decryptToString(row.private_key_encrypted, row.kid)).toContain(
        '"d"',
      );
      expect(() => platform.auth.config.keyRing.decrypt(row.private_key_encrypted, 'another-kid')).toThrow();
    }
  });

  it('a second replica on the same database signs with the rotated key within its cache time', async () => {
    const { auth, identity } = platform;
    const replica = await startAuth(
      auth.config.identityGrpcAddress,
      {
        DATABASE_URL: auth.config.databaseUrl,
        AUTH_KEY_RING: auth.ringText,
        AUTH_SIGNING_KEY_CACHE_MS: '200',
      },
      { relay: false, callers: auth.callers },
    );
    try {
      const user = await signUpAndLogin(identity);
      const before = (await replica.grpc.issueAccessToken({ sessionId: user.sessionId })).accessToken;
      const rotated = await auth.grpc.rotateSigningKey({});
      expect(decodeProtectedHeader(before).kid).toBe(rotated.previous?.kid);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = (await replica.grpc.issueAccessToken({ sessionId: user.sessionId })).accessToken;
      expect(decodeProtectedHeader(after).kid).toBe(rotated.active?.kid);
      // Either replica's JWKS verifies either token.
      const verifier = replica.verifier();
      expect((await verifier.verify(before)).sid).toBe(user.sessionId);
      expect((await verifier.verify(after)).sid).toBe(user.sessionId);
    } finally {
      await replica.close();
    }
  });
});

describe('signing keys on schedule, across replicas', () => {
  let first: TestAuth;
  beforeAll(async () => {
    // No identity needed: nothing here issues a token. The check interval is long: the test drives it.
    first = await startAuth('127.0.0.1:1', { AUTH_SIGNING_KEY_ROTATION_HOURS: '24' }, { relay: false });
  });
  afterAll(async () => {
    await first?.close();
  });

  it('replicas starting together on a new database create exactly one active key', async () => {
    const url = freshDatabaseUrl('auth_test');
    const ring = first.ringText;
    const replicas = await Promise.all(
      [1, 2, 3].map(() =>
        startAuth('127.0.0.1:1', { DATABASE_URL: url.toString(), AUTH_KEY_RING: ring }, { relay: false }),
      ),
    );
    try {
      const keys = await replicas[0]?.db
        .selectFrom('signing_keys')
        .select(['kid', 'status'])
        .orderBy('status')
        .execute();
      expect(keys?.map((k) => k.status)).toEqual(['ACTIVE', 'NEXT']);
      // Each replica serves those two keys.
      const served = await Promise.all(
        replicas.map(async (replica) => (await replica.grpc.getJwks({})).jwksJson),
      );
      expect(new Set(served).size).toBe(1);
      expect(
        JSON.parse(served[0] ?? '{}')
          .keys.map((k: { kid: string }) => k.kid)
          .sort(),
      ).toEqual(keys?.map((k) => k.kid).sort());
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await dropDatabase(url);
    }
  });

  it('rotates once the active key is older than the period, and retires the previous one after TTL + 5 min', async () => {
    const keys = first.service.app.get(SigningKeyService);
    const [next, original] = (await first.grpc.listSigningKeys({})).keys;
    await keys.maintain();
    expect((await first.grpc.listSigningKeys({})).keys.map((k) => k.kid)).toEqual([next?.kid, original?.kid]);

    first.clock.advance(24 * HOUR + 1000);
    await keys.maintain();
    const afterRotation = (await first.grpc.listSigningKeys({})).keys;
    expect(afterRotation.map((k) => k.status)).toEqual([
      SigningKeyStatus.NEXT,
      SigningKeyStatus.ACTIVE,
      SigningKeyStatus.PREVIOUS,
    ]);
    expect(afterRotation[1]?.kid).toBe(next?.kid);
    expect(afterRotation[2]?.kid).toBe(original?.kid);
    // The promoted key's age counts from its activation, not from when it was published.
    await keys.maintain();
    expect((await first.grpc.listSigningKeys({})).keys[1]?.kid).toBe(next?.kid);

    // 15 min of token TTL + 5 min margin: not yet at 19 minutes, retired after 21.
    first.clock.advance(19 * 60_000);
    await keys.maintain();
    expect((await first.grpc.listSigningKeys({})).keys).toHaveLength(3);
    first.clock.advance(2 * 60_000);
    await keys.maintain();
    const final = await first.grpc.listSigningKeys({ includeRetired: true });
    expect(final.keys.map((k) => [k.kid, k.status])).toEqual([
      [afterRotation[0]?.kid, SigningKeyStatus.NEXT],
      [next?.kid, SigningKeyStatus.ACTIVE],
      [original?.kid, SigningKeyStatus.RETIRED],
    ]);
    const audits = (await pendingAudits(first.db)).filter((a) => a.metadata?.trigger === 'schedule');
    expect(audits.map((a) => a.action)).toEqual(['signing_key.rotate', 'signing_key.retire']);
  });
});
