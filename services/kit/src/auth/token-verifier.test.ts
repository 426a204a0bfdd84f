import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.ts';
import { TokenVerifier } from './token-verifier.ts';

const ISSUER = 'https://auth.girok.test';
const AUDIENCE = 'girok';

/** A real HTTP JWKS endpoint whose key set the test changes, counting fetches. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  readonly #server: Server = createServer((_request, response) => {
    this.fetches += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

async function signingKey(alg: 'ES256' | 'EdDSA' | 'RS256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } as JWK };
}

type Key = Awaited<ReturnType<typeof signingKey>>;

/** A signed access token; `claims` override the standard ones (iss, aud, exp, ...). */
function token(key: Key, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'account-1',
    sid: 'session-1',
    token_type: 'USER_ACCESS',
    jti: `jti-${Math.random()}`,
    iat: now,
    exp: now + 900,
    scope: 'profile:read',
    amr: ['pwd'],
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.privateKey);
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the verification to fail');
}

describe('TokenVerifier', () => {
  const jwks = new JwksServer();
  let url: string;
  let es256: Key;
  let eddsa: Key;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    url = await jwks.start();
    es256 = await signingKey('ES256', 'es-1');
    eddsa = await signingKey('EdDSA', 'ed-1');
    jwks.keys = [es256.jwk, eddsa.jwk];
    verifier = new TokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 });
  });
  afterAll(() => jwks.stop());

  it('accepts ES256 and EdDSA access tokens and returns their claims', async () => {
    const claims = await verifier.verify(await token(es256));
    expect(claims).toMatchObject({
      sub: 'account-1',
      sid: 'session-1',
      tokenType: 'USER_ACCESS',
      scope: ['profile:read'],
      amr: ['pwd'],
    });
    expect(claims.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(
      (await verifier.verify(await token(eddsa, { token_type: 'ADMIN_ACCESS', amr: ['pwd', 'otp'] })))
        .tokenType,
    ).toBe('ADMIN_ACCESS');
  });

  it('caches the key set: many verifications, one fetch', async () => {
    const fresh = new TokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE });
    const before = jwks.fetches;
    for (let i = 0; i < 20; i += 1) await fresh.verify(await token(es256));
    expect(jwks.fetches - before).toBe(1);
  });

  it('refuses alg none', async () => {
    const unsecured = new UnsecuredJWT({ sub: 'account-1', sid: 's', token_type: 'ADMIN_ACCESS', jti: 'x' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('15m')
      .encode();
    expect((await failure(verifier.verify(unsecured))).code).toMatch(
      /TOKEN_ALGORITHM_NOT_ALLOWED|TOKEN_INVALID/,
    );
  });

  it('refuses the HS256 confusion: an HMAC keyed with the public key', async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const head = encode({ alg: 'HS256', kid: es256.kid, typ: 'at+jwt' });
    const body = encode({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'attacker',
      sid: 's',
      token_type: 'ADMIN_ACCESS',
      jti: 'j',
      iat: now,
      exp: now + 900,
    });
    const signature = createHmac('sha256', JSON.stringify(es256.jwk))
      .update(`${head}.${body}`)
      .digest('base64url');
    const error = await failure(verifier.verify(`${head}.${body}.${signature}`));
    expect(error.code).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  it('refuses RS256 even from a published key', async () => {
    const rsa = await signingKey('RS256', 'rsa-1');
    jwks.keys = [...jwks.keys, rsa.jwk];
    expect((await failure(verifier.verify(await token(rsa)))).code).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
    jwks.keys = [es256.jwk, eddsa.jwk];
  });

  it('refuses a wrong issuer, a wrong audience, a missing at+jwt type and an unknown token_type', async () => {
    expect((await failure(verifier.verify(await token(es256, { iss: 'https://evil.test' })))).code).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
    expect((await failure(verifier.verify(await token(es256, { aud: 'other-service' })))).code).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
    expect((await failure(verifier.verify(await token(es256, {}, { typ: 'JWT' })))).code).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
    expect((await failure(verifier.verify(await token(es256, { token_type: 'GOD_MODE' })))).code).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
  });

  it('refuses an expired token (past the clock tolerance) and a forged signature', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await token(es256, { exp: now - 120, iat: now - 1020 });
    expect((await failure(verifier.verify(expired))).code).toBe('TOKEN_EXPIRED');
    const good = await token(es256);
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.alloc(64, 7).toString('base64url')}`;
    expect((await failure(verifier.verify(forged))).code).toBe('TOKEN_SIGNATURE_INVALID');
  });

  it('refuses a token issued in the future, beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ahead = await token(es256, { iat: now + 120, exp: now + 120 + 900 });
    expect((await failure(verifier.verify(ahead))).code).toBe('TOKEN_ISSUED_IN_FUTURE');
    const skewed = await token(es256, { iat: now + 20, exp: now + 20 + 900 });
    expect((await verifier.verify(skewed)).sub).toBe('account-1');
  });

  it('refuses a token valid for longer than the configured lifetime (default 15 min + tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const day = await token(es256, { iat: now, exp: now + 86_400 });
    expect((await failure(verifier.verify(day))).code).toBe('TOKEN_LIFETIME_TOO_LONG');
    expect((await failure(verifier.verify(await token(es256, { iat: now, exp: now + 931 })))).code).toBe(
      'TOKEN_LIFETIME_TOO_LONG',
    );
    expect((await verifier.verify(await token(es256, { iat: now, exp: now + 930 }))).sub).toBe('account-1');
    const strict = new TokenVerifier({
      jwksUrl: url,
      issuer: ISSUER,
      audience: AUDIENCE,
      maxLifetimeSeconds: 300,
    });
    expect(strict.maxLifetimeSeconds).toBe(300);
    expect((await failure(strict.verify(await token(es256)))).code).toBe('TOKEN_LIFETIME_TOO_LONG');
    expect((await strict.verify(await token(es256, { iat: now, exp: now + 300 }))).sub).toBe('account-1');
  });

  it('follows a key rotation: old and new keys verify during the overlap, a retired key does not', async () => {
    const rotating = new TokenVerifier({
      jwksUrl: url,
      issuer: ISSUER,
      audience: AUDIENCE,
      cooldownMs: 0,
      cacheMaxAgeMs: 0,
    });
    const next = await signingKey('ES256', 'es-2');
    const old = await token(es256);
    expect((await rotating.verify(old)).sub).toBe('account-1');
    jwks.keys = [next.jwk, es256.jwk, eddsa.jwk]; // publish the new key, keep the old one
    expect((await rotating.verify(await token(next))).sub).toBe('account-1');
    expect((await rotating.verify(old)).sub).toBe('account-1');
    jwks.keys = [next.jwk, eddsa.jwk]; // retire the old key
    expect((await failure(rotating.verify(old))).code).toBe('TOKEN_KEY_UNKNOWN');
    jwks.keys = [es256.jwk, eddsa.jwk];
  });

  it('reports an unreachable key set as UNAVAILABLE, not as a bad token', async () => {
    const down = new TokenVerifier({
      jwksUrl: 'http://127.0.0.1:9/jwks.json',
      issuer: ISSUER,
      audience: AUDIENCE,
      timeoutMs: 500,
    });
    const error = await failure(down.verify(await token(es256)));
    expect(error.kind).toBe('UNAVAILABLE');
    expect(error.code).toBe('JWKS_UNAVAILABLE');
  });
});
