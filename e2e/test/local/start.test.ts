import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/infra/proc.ts';

const START = fileURLToPath(new URL('../../../scripts/start.ts', import.meta.url));

interface Ports {
  readonly identityHttp: number;
  readonly identityGrpc: number;
  readonly authHttp: number;
  readonly authGrpc: number;
  readonly legalHttp: number;
  readonly legalGrpc: number;
  readonly auditHttp: number;
  readonly auditGrpc: number;
  readonly bffHttp: number;
}

/** `npm start` as a user runs it (after the build the test command has just done). */
async function start(dataDir: string, ports: Ports) {
  const child = spawn(process.execPath, [START], {
    env: {
      ...process.env,
      GIROK_DATA_DIR: dataDir,
      IDENTITY_HTTP_PORT: String(ports.identityHttp),
      IDENTITY_GRPC_PORT: String(ports.identityGrpc),
      AUTH_HTTP_PORT: String(ports.authHttp),
      AUTH_GRPC_PORT: String(ports.authGrpc),
      LEGAL_HTTP_PORT: String(ports.legalHttp),
      LEGAL_GRPC_PORT: String(ports.legalGrpc),
      AUDIT_HTTP_PORT: String(ports.auditHttp),
      AUDIT_GRPC_PORT: String(ports.auditGrpc),
      BFF_HTTP_PORT: String(ports.bffHttp),
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      VALKEY_URL: '',
      KAFKA_BROKERS: '',
      CLICKHOUSE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!output.includes('Stop with Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** A browser's side of the BFF: its cookies and the CSRF header echoed from one of them. */
function browser(base: string) {
  const cookies = new Map<string, string>();
  return async (query: string, variables: Record<string, unknown> = {}) => {
    const csrf = cookies.get('__Host-girok_csrf');
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: base,
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }),
      },
      body: JSON.stringify({ query, variables }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
    return (await response.json()) as {
      // biome-ignore lint/suspicious/noExplicitAny: the test reads the GraphQL answer by the shape it asked for
      data: Record<string, any> | null;
      errors?: { extensions: { code: string } }[];
    };
  };
}

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { status me { tokenType account { email } } } }`;
const LOGIN_HISTORY = `query($accountId: ID!) { loginHistory(accountId: $accountId) { events { action result } degraded } }`;

type Query = ReturnType<typeof browser>;

/**
 * The caller's own login history through the BFF (users may read their own), once it holds
 * `expected` events: audit events reach the local audit store through the in-process bus, so the
 * last may arrive a moment after the login that caused it.
 */
async function loginHistoryOf(query: Query, accountId: string, expected: number) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const answer = await query(LOGIN_HISTORY, { accountId });
    expect(answer.errors).toBeUndefined();
    const history = answer.data?.loginHistory as {
      events: { action: string; result: string }[];
      degraded: boolean;
    };
    if (history.events.length >= expected || Date.now() > deadline) return history;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start: the platform on embedded defaults', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-start-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('runs with no servers, signs up and logs in through the GraphQL endpoint, answers from legal and audit, keeps the data (the audit trail too) across a restart, stops cleanly', async () => {
    const ports: Ports = {
      identityHttp: await freePort(),
      identityGrpc: await freePort(),
      authHttp: await freePort(),
      authGrpc: await freePort(),
      legalHttp: await freePort(),
      legalGrpc: await freePort(),
      auditHttp: await freePort(),
      auditGrpc: await freePort(),
      bffHttp: await freePort(),
    };
    const first = await start(dataDir, ports);
    const bff = `http://localhost:${ports.bffHttp}`;
    expect(first.output()).toContain(`GraphQL        ${bff}/graphql`);
    expect(first.output()).toContain(`identity gRPC  127.0.0.1:${ports.identityGrpc}`);
    expect(first.output()).toContain(`auth gRPC      127.0.0.1:${ports.authGrpc}`);
    expect(first.output()).toContain(`legal gRPC     127.0.0.1:${ports.legalGrpc}`);
    expect(first.output()).toContain(`audit gRPC     127.0.0.1:${ports.auditGrpc}`);
    const account = { email: 'ada@example.com', username: 'ada', password: 'Correct horse battery staple' };
    const alice = browser(bff);
    await alice('query { csrfToken }');
    const signUp = await alice('mutation($input: SignUpInput!) { signUp(input: $input) { status } }', {
      input: { ...account, country: 'KR' },
    });
    expect(signUp.errors).toBeUndefined();
    expect(signUp.data?.signUp).toEqual({ status: 'SIGNED_UP' });
    // Sign-up signs nobody in (its answer must not tell whether the email was taken): log in next.
    const login = await alice(
      'mutation($input: LoginInput!) { login(input: $input) { status me { tokenType account { email } } } }',
      { input: { identifier: account.email, password: account.password } },
    );
    expect(login.errors).toBeUndefined();
    expect(login.data?.login).toEqual({
      status: 'AUTHENTICATED',
      me: { tokenType: 'USER_ACCESS', account: { email: account.email } },
    });
    const me = await alice('query { me { account { id username } } }');
    expect(me.data?.me.account.username).toBe('ada');
    const accountId = me.data?.me.account.id as string;
    // legal-service answers through the BFF from its seeded law registry (no documents are
    // published locally, so sign-up above needed no consents).
    const consents = await alice('query { requiredConsents(country: "KR") { laws } }');
    expect(consents.errors).toBeUndefined();
    expect(consents.data?.requiredConsents.laws).toContain('PIPA');
    expect((await fetch(`http://127.0.0.1:${ports.legalHttp}/health/ready`)).status).toBe(200);
    // audit-service keeps that login in its local store (no ClickHouse).
    expect((await fetch(`http://127.0.0.1:${ports.auditHttp}/health/ready`)).status).toBe(200);
    expect(await loginHistoryOf(alice, accountId, 1)).toEqual({
      events: [{ action: 'account.login', result: 'SUCCESS' }],
      degraded: false,
    });
    const jwks = (await (await fetch(`http://127.0.0.1:${ports.authHttp}/.well-known/jwks.json`)).json()) as {
      keys: unknown[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(await stop(first.child)).toBe(0);

    const second = await start(dataDir, ports);
    try {
      // The account and the signing key survived the restart (PGlite on disk).
      const bob = browser(bff);
      await bob('query { csrfToken }');
      const login = await bob(LOGIN, { input: { identifier: account.username, password: account.password } });
      expect(login.data?.login).toEqual({
        status: 'AUTHENTICATED',
        me: { tokenType: 'USER_ACCESS', account: { email: account.email } },
      });
      const wrong = await bob(LOGIN, {
        input: { identifier: account.username, password: 'not the password' },
      });
      expect(wrong.errors?.[0]?.extensions.code).toBe('INVALID_CREDENTIALS');
      // The audit trail survived the restart too, and holds this run's login and failed attempt.
      const history = await loginHistoryOf(bob, accountId, 3);
      expect(history.degraded).toBe(false);
      expect(history.events).toHaveLength(3);
      expect(history.events).toEqual(
        expect.arrayContaining([
          { action: 'account.login', result: 'FAILURE' },
          { action: 'account.login', result: 'SUCCESS' },
        ]),
      );
      expect(history.events.filter((e) => e.result === 'SUCCESS')).toHaveLength(2);
      const ready = (await (await fetch(`${bff}/health/ready`)).json()) as { status: string };
      expect(ready.status).toBe('ok');
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  });
});
