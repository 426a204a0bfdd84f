import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WORKLOAD_NAMES } from '@girok/contracts/access';
import { infraEnv } from '@girok/e2e/infra';
import { CoreV1Api, KubeConfig, WellKnownApi } from '@kubernetes/client-node';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../src/errors/domain-error.ts';
import {
  LocalWorkloadIssuer,
  WorkloadVerifier,
  type WorkloadVerifierOptions,
} from '../src/workload/index.ts';

const PREFIX = 'girok-test-';

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the verification to fail');
}

/**
 * Workload tokens from the real kube-apiserver (TokenRequest), verified the way a Pod does it: OIDC
 * discovery names the issuer, the JWKS comes from the API server itself, fetched with the Pod's own
 * ServiceAccount token and the cluster CA.
 */
describe('WorkloadVerifier on the real kube-apiserver', () => {
  const run = randomUUID().slice(0, 8);
  const trusted = `girok-wl-${run}`;
  const other = `girok-wl-${run}-other`;
  const kc = new KubeConfig();
  let core: CoreV1Api;
  let dir: string;
  let options: WorkloadVerifierOptions;
  let verifier: WorkloadVerifier;

  const tokenRequest = async (namespace: string, name: string, audiences?: string[]) => {
    const answer = await core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { ...(audiences === undefined ? {} : { audiences }), expirationSeconds: 600 } },
    });
    const token = answer.status?.token;
    if (token === undefined) throw new Error(`the API server minted no token for ${namespace}/${name}`);
    return token;
  };

  beforeAll(async () => {
    kc.loadFromFile(infraEnv('KUBECONFIG'));
    core = kc.makeApiClient(CoreV1Api);
    const server = kc.getCurrentCluster()?.server;
    const caFile = kc.getCurrentCluster()?.caFile;
    if (server === undefined || caFile === undefined)
      throw new Error('the kubeconfig names no server or CA file');
    for (const namespace of [trusted, other]) {
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      for (const component of ['auth-bff', 'identity-service', 'mallory']) {
        await core.createNamespacedServiceAccount({
          namespace,
          body: { metadata: { name: `${PREFIX}${component}` } },
        });
      }
    }
    // Typed as a string, but the client hands back the document already parsed.
    const discovery = (await kc
      .makeApiClient(WellKnownApi)
      .getServiceAccountIssuerOpenIDConfiguration()) as unknown as { issuer: string; jwks_uri: string };
    expect(new URL(discovery.jwks_uri).pathname).toBe('/openid/v1/jwks');
    // What a Pod of identity-service holds: its own ServiceAccount token (for the API server's
    // default audience) to read the JWKS with, and the cluster CA.
    dir = await mkdtemp(path.join(tmpdir(), 'workload-kube-'));
    const bearerTokenFile = path.join(dir, 'token');
    await writeFile(bearerTokenFile, await tokenRequest(trusted, `${PREFIX}identity-service`), {
      mode: 0o600,
    });
    options = {
      issuer: discovery.issuer,
      audience: 'girok',
      // The discovery document may name the issuer's public host; a Pod reaches the API server directly.
      jwks: new URL('/openid/v1/jwks', server).href,
      caFile,
      bearerTokenFile,
      namespace: trusted,
      serviceAccountPrefix: PREFIX,
      components: WORKLOAD_NAMES,
    };
    verifier = new WorkloadVerifier(options);
  });

  afterAll(async () => {
    for (const namespace of [trusted, other])
      await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("accepts a TokenRequest token (audience girok) of a component's ServiceAccount", async () => {
    const token = await tokenRequest(trusted, `${PREFIX}auth-bff`, ['girok']);
    await expect(verifier.verify(token)).resolves.toEqual({
      component: 'auth-bff',
      subject: `system:serviceaccount:${trusted}:${PREFIX}auth-bff`,
    });
  });

  it('refuses a token for another audience (the API server default)', async () => {
    const error = await failure(verifier.verify(await tokenRequest(trusted, `${PREFIX}auth-bff`)));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
    expect(error.message).toMatch(/aud/);
  });

  it('refuses the token once it has expired', async () => {
    const token = await tokenRequest(trusted, `${PREFIX}auth-bff`, ['girok']);
    const exp = decodeJwt(token).exp as number;
    const later = new WorkloadVerifier({ ...options, clock: () => new Date((exp + 61) * 1000) });
    expect(await failure(later.verify(token))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'WORKLOAD_TOKEN_EXPIRED',
    });
  });

  it('refuses the same ServiceAccount name in another namespace, and a ServiceAccount that is no component', async () => {
    const elsewhere = await failure(
      verifier.verify(await tokenRequest(other, `${PREFIX}auth-bff`, ['girok'])),
    );
    expect(elsewhere).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_UNKNOWN' });
    const mallory = await failure(
      verifier.verify(await tokenRequest(trusted, `${PREFIX}mallory`, ['girok'])),
    );
    expect(mallory).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_UNKNOWN' });
  });

  it("refuses a local issuer's token that claims the API server's issuer, namespace and ServiceAccount", async () => {
    const local = await LocalWorkloadIssuer.open(path.join(dir, 'local'), {
      issuer: options.issuer,
      namespace: trusted,
    });
    const error = await failure(verifier.verify(await local.mint(`${PREFIX}auth-bff`)));
    expect(error).toMatchObject({ kind: 'UNAUTHENTICATED', code: 'WORKLOAD_TOKEN_INVALID' });
    expect(error.message).toMatch(/key the issuer does not publish/);
  });

  it("reports the API server's refusal to an anonymous JWKS fetch as UNAVAILABLE, not as a bad token", async () => {
    const { bearerTokenFile: _bearer, ...anonymous } = options;
    const error = await failure(
      new WorkloadVerifier(anonymous).verify(await tokenRequest(trusted, `${PREFIX}auth-bff`, ['girok'])),
    );
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', code: 'WORKLOAD_JWKS_UNAVAILABLE' });
    expect(error.message).toMatch(/answered HTTP (401|403)/);
  });
});
