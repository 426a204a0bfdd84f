import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKLOAD_NAMES } from '@girok/contracts/access';
import { importJWK, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../errors/domain-error.ts';
import { LOCAL_ISSUER_KEY_FILE, LocalWorkloadIssuer } from './local-workload-issuer.ts';
import { WorkloadVerifier, type WorkloadVerifierOptions } from './workload-verifier.ts';

const NAMESPACE = 'girok-dev';
const PREFIX = 'girok-dev-';
const SA = `${PREFIX}auth-bff`;

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the verification to fail');
}

describe('WorkloadVerifier against a LocalWorkloadIssuer', () => {
  let dir: string;
  let issuer: LocalWorkloadIssuer;
  let options: WorkloadVerifierOptions;
  let verifier: WorkloadVerifier;
  /** The issuer's own key, to sign tokens it would never mint. */
  let privateJwk: JWK;

  const verifierAt = (seconds: number, more: Partial<WorkloadVerifierOptions> = {}) =>
    new WorkloadVerifier({ ...options, clock: () => new Date(Date.now() + seconds * 1000), ...more });

  const signed = async (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: issuer.issuer,
      aud: ['girok'],
      sub: `system:serviceaccount:${NAMESPACE}:${SA}`,
      iat: now,
      exp: now + 600,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid as string })
      .sign(await importJWK(privateJwk, 'ES256'));
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'workload-verifier-'));
    issuer = await LocalWorkloadIssuer.open(path.join(dir, 'issuer'), { namespace: NAMESPACE });
    privateJwk = JSON.parse(await readFile(path.join(dir, 'issuer', LOCAL_ISSUER_KEY_FILE), 'utf8'));
    options = {
      issuer: issuer.issuer,
      audience: 'girok',
      jwks: issuer.jwksFile,
      namespace: NAMESPACE,
      serviceAccountPrefix: PREFIX,
      components: WORKLOAD_NAMES,
    };
    verifier = new WorkloadVerifier(options);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts a known component of the trusted namespace and names it', async () => {
    await expect(verifier.verify(await issuer.mint(SA))).resolves.toEqual({
      component: 'auth-bff',
      subject: `system:serviceaccount:${NAMESPACE}:${SA}`,
    });
    expect((await verifier.verify(await issuer.mint(`${PREFIX}legal-service`))).component).toBe(
      'legal-service',
    );
  });

  it('refuses a token minted for another audience', async () => {
    const error = await failure(verifier.verify(await issuer.mint(SA, 600, 'kubernetes')));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
    expect(error.message).toMatch(/aud/);
  });

  it('refuses an expired token once the skew has passed, and accepts it within the skew', async () => {
    const token = await issuer.mint(SA, 600);
    await expect(verifierAt(600 + 30).verify(token)).resolves.toMatchObject({ component: 'auth-bff' });
    const error = await failure(verifierAt(600 + 61).verify(token));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_EXPIRED' });
  });

  it('refuses a token issued in the future (beyond 60 s of skew)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const error = await failure(verifier.verify(await signed({ iat: now + 300, exp: now + 900 })));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
    expect(error.message).toMatch(/future/);
    await expect(verifier.verify(await signed({ iat: now + 30, exp: now + 600 }))).resolves.toBeDefined();
  });

  it('refuses a token that lives longer than the maximum lifetime', async () => {
    const error = await failure(verifier.verify(await issuer.mint(SA, 2 * 24 * 3600)));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
    expect(error.message).toMatch(/longer than 86400 s/);
    const strict = verifierAt(0, { maxLifetimeSeconds: 600 });
    await expect(strict.verify(await issuer.mint(SA, 600))).resolves.toBeDefined();
    expect((await failure(strict.verify(await issuer.mint(SA, 601)))).code).toBe('WORKLOAD_TOKEN_INVALID');
  });

  it('refuses a ServiceAccount that is no known component', async () => {
    const error = await failure(verifier.verify(await issuer.mint(`${PREFIX}mallory`)));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_UNKNOWN' });
    expect(error.message).toBe(
      `The ServiceAccount ${NAMESPACE}/${PREFIX}mallory is not a platform component`,
    );
  });

  it('refuses the right ServiceAccount name in another namespace, signed by the same issuer', async () => {
    const otherNamespace = await LocalWorkloadIssuer.open(path.join(dir, 'issuer'), {
      namespace: 'girok-prod',
    });
    const error = await failure(verifier.verify(await otherNamespace.mint(SA)));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_UNKNOWN' });
  });

  it('refuses a component under another prefix or under none', async () => {
    for (const name of ['girok-prod-auth-bff', 'auth-bff', 'girok-devauth-bff', `${SA}-2`]) {
      expect((await failure(verifier.verify(await issuer.mint(name)))).code).toBe('WORKLOAD_UNKNOWN');
    }
    const bare = await signed({ sub: `system:serviceaccount:${NAMESPACE}:${PREFIX}` });
    expect((await failure(verifier.verify(bare))).code).toBe('WORKLOAD_UNKNOWN');
  });

  it('refuses a subject that is not a ServiceAccount and a kubernetes.io claim that disagrees with it', async () => {
    for (const sub of ['auth-bff', `system:serviceaccount:${NAMESPACE}:${SA}:extra`, 'system:node:n1']) {
      expect((await failure(verifier.verify(await signed({ sub })))).code).toBe('WORKLOAD_UNKNOWN');
    }
    const disagreeing = await signed({
      'kubernetes.io': { namespace: NAMESPACE, serviceaccount: { name: `${PREFIX}legal-service`, uid: 'u' } },
    });
    expect((await failure(verifier.verify(disagreeing))).code).toBe('WORKLOAD_TOKEN_INVALID');
    const otherNamespaceClaim = await signed({
      'kubernetes.io': { namespace: 'girok-prod', serviceaccount: { name: SA, uid: 'u' } },
    });
    expect((await failure(verifier.verify(otherNamespaceClaim))).code).toBe('WORKLOAD_TOKEN_INVALID');
  });

  it('refuses a token of another issuer: another key under the same name, or another name', async () => {
    const impostor = await LocalWorkloadIssuer.open(path.join(dir, 'impostor'), { namespace: NAMESPACE });
    expect(impostor.issuer).toBe(issuer.issuer);
    const error = await failure(verifier.verify(await impostor.mint(SA)));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
    expect(error.message).toMatch(/key the issuer does not publish/);
    const renamed = await LocalWorkloadIssuer.open(path.join(dir, 'issuer'), {
      issuer: 'https://elsewhere.test',
      namespace: NAMESPACE,
    });
    expect((await failure(verifier.verify(await renamed.mint(SA)))).message).toMatch(/iss/);
  });

  it('refuses alg none and the HS256 confusion (an HMAC keyed with the public key)', async () => {
    const unsecured = new UnsecuredJWT({ sub: `system:serviceaccount:${NAMESPACE}:${SA}` })
      .setIssuer(issuer.issuer)
      .setAudience('girok')
      .setIssuedAt()
      .setExpirationTime('10m')
      .encode();
    expect((await failure(verifier.verify(unsecured))).code).toBe('WORKLOAD_TOKEN_INVALID');

    const jwks = await readFile(new URL(issuer.jwksFile), 'utf8');
    const publicJwk = (JSON.parse(jwks) as { keys: JWK[] }).keys[0];
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const head = encode({ alg: 'HS256', kid: publicJwk?.kid });
    const body = encode({
      iss: issuer.issuer,
      aud: ['girok'],
      sub: `system:serviceaccount:${NAMESPACE}:${SA}`,
      iat: now,
      exp: now + 600,
    });
    for (const secret of [JSON.stringify(publicJwk), jwks]) {
      const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
      const error = await failure(verifier.verify(`${head}.${body}.${signature}`));
      expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
      expect(error.message).toMatch(/algorithm/);
    }
  });

  it('refuses garbage and a forged signature with one readable sentence that never echoes the token', async () => {
    const good = await issuer.mint(SA);
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.alloc(64, 7).toString('base64url')}`;
    for (const token of ['', 'garbage', 'a.b.c', `${good}x`, forged, 'x'.repeat(9000), `${good}.${good}`]) {
      const error = await failure(verifier.verify(token));
      expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
      expect(error.message).not.toContain(good.slice(0, 20));
      expect(error.message).toMatch(/^The workload token [^\n]+$/);
    }
  });

  it('reports a missing key set as UNAVAILABLE (the issuer is down, the caller is not at fault)', async () => {
    const missing = verifierAt(0, { jwks: pathToFileURL(path.join(dir, 'nowhere.json')).href });
    const error = await failure(missing.verify(await issuer.mint(SA)));
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', code: 'WORKLOAD_JWKS_UNAVAILABLE' });
  });

  it('reads the key set file again when the issuer starts over with a new key', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const rotating = path.join(dir, 'rotating');
    const before = await LocalWorkloadIssuer.open(rotating, { namespace: NAMESPACE });
    const local = verifierAt(0, { jwks: before.jwksFile, clock: () => new Date() });
    await expect(local.verify(await before.mint(SA))).resolves.toBeDefined();
    await rm(rotating, { recursive: true });
    const after = await LocalWorkloadIssuer.open(rotating, { namespace: NAMESPACE });
    vi.advanceTimersByTime(1001);
    await expect(local.verify(await after.mint(SA))).resolves.toMatchObject({ component: 'auth-bff' });
    expect((await failure(local.verify(await before.mint(SA)))).code).toBe('WORKLOAD_TOKEN_INVALID');
  });

  it('refuses a JWKS over plain http: whoever swaps it would choose every identity', () => {
    expect(() => verifierAt(0, { jwks: 'http://127.0.0.1/jwks' })).toThrow(/https:\/\/ or file:\/\//);
  });
});
