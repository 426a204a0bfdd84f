import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/infra/proc.ts';

const START = fileURLToPath(new URL('../../../scripts/start.ts', import.meta.url));

/** `npm start` as a user runs it (after the build the test command has just done). */
async function start(dataDir: string, httpPort: number, grpcPort: number) {
  const child = spawn(process.execPath, [START], {
    env: {
      ...process.env,
      GIROK_DATA_DIR: dataDir,
      IDENTITY_HTTP_PORT: String(httpPort),
      IDENTITY_GRPC_PORT: String(grpcPort),
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

describe('npm start: the platform on embedded defaults', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'girok-start-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('runs with no servers, signs up and logs in over REST, keeps the data across a restart, stops cleanly', async () => {
    const httpPort = await freePort();
    const grpcPort = await freePort();
    const first = await start(dataDir, httpPort, grpcPort);
    expect(first.output()).toContain(`identity REST  http://127.0.0.1:${httpPort}`);
    expect(first.output()).toContain(`identity gRPC  127.0.0.1:${grpcPort}`);
    const base = `http://127.0.0.1:${httpPort}`;
    const account = { email: 'ada@example.com', username: 'ada', password: 'Correct horse battery staple' };
    const created = await fetch(`${base}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...account, locale: 'en-US', country: 'KR' }),
    });
    expect(created.status).toBe(201);
    const login = () =>
      fetch(`${base}/v1/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: account.username, password: account.password }),
      });
    const firstLogin = (await (await login()).json()) as { session: { refreshToken: string } };
    expect(firstLogin.session.refreshToken).toHaveLength(43);
    expect(await stop(first.child)).toBe(0);

    const second = await start(dataDir, httpPort, grpcPort);
    try {
      const again = await login();
      expect(again.status).toBe(200); // the account survived the restart (PGlite on disk)
      const ready = (await (await fetch(`${base}/health/ready`)).json()) as { status: string };
      expect(ready.status).toBe('ok');
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  });
});
