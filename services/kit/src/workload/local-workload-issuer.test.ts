import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_ISSUER_KEY_FILE, LocalWorkloadIssuer } from './local-workload-issuer.ts';

describe('LocalWorkloadIssuer', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'local-workload-issuer-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.useRealTimers();
  });

  it('mints tokens shaped like Kubernetes projected ServiceAccount tokens', async () => {
    const issuer = await LocalWorkloadIssuer.open(path.join(dir, 'shape'));
    expect(issuer.issuer).toBe('https://girok.local/workload-issuer');
    expect(issuer.namespace).toBe('local');
    const token = await issuer.mint('auth-bff', 900);
    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: expect.any(String) });
    expect(claims).toEqual({
      iss: 'https://girok.local/workload-issuer',
      aud: ['girok'],
      sub: 'system:serviceaccount:local:auth-bff',
      'kubernetes.io': { namespace: 'local', serviceaccount: { name: 'auth-bff', uid: expect.any(String) } },
      iat: expect.any(Number),
      nbf: claims.iat,
      exp: (claims.iat as number) + 900,
      jti: expect.any(String),
    });
    expect(decodeJwt(await issuer.mint('auth-bff', 60, 'other')).aud).toEqual(['other']);
    const again = decodeJwt(await issuer.mint('auth-bff'));
    expect(again.jti).not.toBe(claims.jti);
    expect(again['kubernetes.io']).toEqual(claims['kubernetes.io']);
  });

  it('keeps one private key (0600) per directory, even when several processes open it at once', async () => {
    const shared = path.join(dir, 'shared');
    const issuers = await Promise.all(Array.from({ length: 6 }, () => LocalWorkloadIssuer.open(shared)));
    const kids = await Promise.all(issuers.map(async (i) => decodeProtectedHeader(await i.mint('x')).kid));
    expect(new Set(kids).size).toBe(1);
    expect((await stat(path.join(shared, LOCAL_ISSUER_KEY_FILE))).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(await readFile(new URL(issuers[0]?.jwksFile ?? ''), 'utf8'));
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kid: kids[0], kty: 'EC', crv: 'P-256', alg: 'ES256' }),
    ]);
    expect(jwks.keys[0].d).toBeUndefined();
  });

  it('its token source mints again once the token has less than a fifth of its life left', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const source = (await LocalWorkloadIssuer.open(path.join(dir, 'source'))).source('auth-bff');
    const first = await source.token();
    vi.advanceTimersByTime(479_000);
    expect(await source.token()).toBe(first);
    vi.advanceTimersByTime(2_000);
    const second = await source.token();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).sub).toBe('system:serviceaccount:local:auth-bff');
  });
});
