import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { WorkloadTokenSource } from './file-token-source.ts';

/** The private signing key, beside the public key set the verifiers read. */
export const LOCAL_ISSUER_KEY_FILE = 'workload-issuer.key.json';
export const LOCAL_ISSUER_JWKS_FILE = 'workload-issuer.jwks.json';

const SERVICE_ACCOUNT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Local mode's stand-in for the cluster's service-account issuer: one ES256 key kept in a
 * directory (made on first use, private to the user), signing tokens shaped like Kubernetes
 * projected ServiceAccount tokens, so the verifier runs the same code in both modes.
 */
export class LocalWorkloadIssuer {
  readonly issuer: string;
  readonly namespace: string;
  /** file:// URL of the public JWKS in the directory. */
  readonly jwksFile: string;
  readonly #key: SigningKey;
  readonly #kid: string;

  private constructor(issuer: string, namespace: string, jwksFile: string, key: SigningKey, kid: string) {
    this.issuer = issuer;
    this.namespace = namespace;
    this.jwksFile = jwksFile;
    this.#key = key;
    this.#kid = kid;
  }

  static async open(
    dir: string,
    options: { issuer?: string; namespace?: string } = {},
  ): Promise<LocalWorkloadIssuer> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const privateJwk = await readOrCreateKey(path.join(dir, LOCAL_ISSUER_KEY_FILE));
    const { d: _private, ...publicJwk } = privateJwk;
    const kid = privateJwk.kid as string;
    const jwksPath = path.join(dir, LOCAL_ISSUER_JWKS_FILE);
    await writeIfChanged(
      jwksPath,
      `${JSON.stringify({ keys: [{ ...publicJwk, use: 'sig', alg: 'ES256' }] })}\n`,
    );
    return new LocalWorkloadIssuer(
      options.issuer ?? 'https://girok.local/workload-issuer',
      options.namespace ?? 'local',
      pathToFileURL(jwksPath).href,
      await importJWK(privateJwk, 'ES256'),
      kid,
    );
  }

  /** A token for `serviceAccount` of this issuer's namespace, as the TokenRequest API would mint it. */
  async mint(serviceAccount: string, ttlSeconds = 600, audience = 'girok'): Promise<string> {
    if (!SERVICE_ACCOUNT_NAME.test(serviceAccount)) {
      throw new RangeError(`${JSON.stringify(serviceAccount)} is not a ServiceAccount name`);
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
      throw new RangeError('ttlSeconds must be a positive integer');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      'kubernetes.io': {
        namespace: this.namespace,
        serviceaccount: { name: serviceAccount, uid: stableUid(this.namespace, serviceAccount) },
      },
    })
      .setProtectedHeader({ alg: 'ES256', kid: this.#kid })
      .setIssuer(this.issuer)
      .setAudience([audience])
      .setSubject(`system:serviceaccount:${this.namespace}:${serviceAccount}`)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(this.#key);
  }

  /** A token source for one ServiceAccount, renewing as the kubelet does. */
  source(serviceAccount: string): WorkloadTokenSource {
    return new LocalTokenSource(this, serviceAccount);
  }
}

const LOCAL_TOKEN_TTL_SECONDS = 600;

/** Mints again once the cached token has less than a fifth of its life left (the kubelet's rule). */
class LocalTokenSource implements WorkloadTokenSource {
  readonly #issuer: LocalWorkloadIssuer;
  readonly #serviceAccount: string;
  #cached: { token: string; renewAt: number } | undefined;

  constructor(issuer: LocalWorkloadIssuer, serviceAccount: string) {
    this.#issuer = issuer;
    this.#serviceAccount = serviceAccount;
  }

  async token(): Promise<string> {
    const now = Date.now();
    if (this.#cached !== undefined && now < this.#cached.renewAt) return this.#cached.token;
    const token = await this.#issuer.mint(this.#serviceAccount, LOCAL_TOKEN_TTL_SECONDS);
    this.#cached = { token, renewAt: now + LOCAL_TOKEN_TTL_SECONDS * 800 };
    return token;
  }
}

/**
 * The key in `file`, or a new one. Several local services open the same directory at start-up:
 * the key is written aside and hard-linked into place, so exactly one key wins and nobody reads a
 * half-written file.
 */
async function readOrCreateKey(file: string): Promise<JWK> {
  try {
    return parseKey(file, await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  const aside = `${file}.${randomUUID()}.tmp`;
  await writeFile(aside, JSON.stringify(jwk), { mode: 0o600 });
  try {
    await link(aside, file);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  } finally {
    await rm(aside, { force: true });
  }
  return parseKey(file, await readFile(file, 'utf8'));
}

function parseKey(file: string, text: string): JWK {
  let jwk: JWK | undefined;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    jwk = undefined;
  }
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string') {
    throw new Error(`${file} is not the local workload issuer's ES256 key; delete it to make a new one`);
  }
  return jwk;
}

/** Rewrites the key set only when it differs, atomically, so readers never see a torn file. */
async function writeIfChanged(file: string, content: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === content) return;
  const aside = `${file}.${randomUUID()}.tmp`;
  await writeFile(aside, content, { mode: 0o644 });
  await rename(aside, file);
}

/** The same uid every time for one ServiceAccount, shaped like the API server's object uids. */
function stableUid(namespace: string, name: string): string {
  const hex = createHash('sha256').update(`${namespace}/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
