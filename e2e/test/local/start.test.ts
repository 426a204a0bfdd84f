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
      BFF_HTTP_PORT: String(ports.bffHttp),
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      VALKEY_URL: '',
      KAFKA_BROKERS: '',
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

describe('npm start: the platform on embedded defaults', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-start-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('runs with no servers, signs up and logs in through the GraphQL endpoint, keeps the data across a restart, stops cleanly', async () => {
    const ports: Ports = {
      identityHttp: await freePort(),
      identityGrpc: await freePort(),
      authHttp: await freePort(),
      authGrpc: await freePort(),
      bffHttp: await freePort(),
    };
    const first = await start(dataDir, ports);
    const bff = `http://localhost:${ports.bffHttp}`;
    expect(first.output()).toContain(`GraphQL        ${bff}/graphql`);
    expect(first.output()).toContain(`identity gRPC  127.0.0.1:${ports.identityGrpc}`);
    expect(first.output()).toContain(`auth gRPC      127.0.0.1:${ports.authGrpc}`);
    const account = { email: 'ada@example.com', username: 'ada', password: 'Correct horse battery staple' };
    const alice = browser(bff);
    await alice('query { csrfToken }');
    const signUp = await alice(
      'mutation($input: SignUpInput!) { signUp(input: $input) { status me { tokenType account { email } } } }',
      { input: { ...account, country: 'KR' } },
    );
    expect(signUp.errors).toBeUndefined();
    expect(signUp.data?.signUp).toEqual({
      status: 'AUTHENTICATED',
      me: { tokenType: 'USER_ACCESS', account: { email: account.email } },
    });
    const me = await alice('query { me { account { username } } }');
    expect(me.data?.me.account.username).toBe('ada');
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
      const ready = (await (await fetch(`${bff}/health/ready`)).json()) as { status: string };
      expect(ready.status).toBe('ok');
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  });
});
