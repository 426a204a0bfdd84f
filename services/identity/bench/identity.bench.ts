// npm run bench -- identity
// Password logins per second over gRPC against the raw argon2id hash rate at the same parameters
// on the same cores (measured in this run), session validations and refreshes per second. The
// service runs as in production: its compiled build in a process of its own, with its outbox
// relay publishing to Kafka; this process is only the gRPC client.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdentityService } from '@girok/contracts/identity/v1/identity';
import { type BenchSuite, rawArgon2Rate } from '@girok/e2e/bench';
import { ensureTopics } from '@girok/e2e/events';
import { createGrpcClient, type GrpcClient } from '@girok/kit/grpc';
import { createPolicy } from '@girok/kit/resilience';
import { TestCallers } from '@girok/kit/testing';
import { OWASP_ARGON2ID } from '../src/crypto/password-hasher.ts';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const TOPICS = [
  'identity.account.v1',
  'identity.session.v1',
  'identity.device.v1',
  'identity.profile.v1',
  'audit.event.v1',
];
const ACCOUNTS = 64;
/** In flight at once: enough to keep every core hashing, as the raw limit does. */
const LOGIN_CONCURRENCY = 32;
const ROUNDS = 4;
const RAW_SECONDS = 3;
const LOGIN_SECONDS = 5;
const CHEAP_CONCURRENCY = 32;
const CHEAP_SECONDS = 6;

type Client = GrpcClient<typeof IdentityService>;

/** Runs `worker` on `concurrency` loops for `seconds`; returns completed operations per second. */
async function rate(
  seconds: number,
  concurrency: number,
  worker: (loop: number) => Promise<void>,
): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < end) {
        await worker(loop);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function startService(
  callers: TestCallers,
  env: Record<string, string>,
  progress: (m: string) => void,
) {
  const database = new URL(env.DATABASE_URL ?? '');
  database.pathname = `/identity_bench_${Date.now()}`;
  // Logs go to a file, as a container runtime would take them: a pipe this busy process reads
  // late would measure our reading, not the service.
  const logPath = path.join(os.tmpdir(), `identity-bench-${process.pid}.log`);
  const logFd = fs.openSync(logPath, 'w');
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ...callers.env(),
      DATABASE_URL: database.toString(),
      VALKEY_URL: env.VALKEY_URL ?? '',
      KAFKA_BROKERS: env.KAFKA_BROKERS ?? '',
      IDENTITY_KEY_RING: `bench:${randomBytes(32).toString('base64')}`,
      IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'info',
      // One client address logs in thousands of times here: lift the per-IP and per-account limits.
      LOGIN_RATE_LIMIT_PER_IP: '1000000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '1000000',
    },
    stdio: ['ignore', logFd, 'inherit'],
  });
  fs.closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  let address: string | undefined;
  while (address === undefined) {
    if (exited !== undefined) {
      throw new Error(
        `identity-service exited with ${exited} before it started (built? npm run build); see ${logPath}`,
      );
    }
    const started = fs
      .readFileSync(logPath, 'utf8')
      .split('\n')
      .find((line) => line.includes('"identity-service started"'));
    if (started !== undefined) address = `127.0.0.1:${(JSON.parse(started) as { grpc: number }).grpc}`;
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  progress(`identity-service running (gRPC ${address}, log ${logPath})`);
  return { child, address };
}

async function login(client: Client, account: { email: string; password: string }, index: number) {
  const response = await client.authenticate({
    identifier: account.email,
    password: account.password,
    // Returning users on their usual device, as most logins are.
    client: {
      ipAddress: '198.51.100.10',
      userAgent: 'girok-bench',
      deviceFingerprint: `bench-device-${index % ACCOUNTS}`,
    },
  });
  if (response.result.case !== 'session') throw new Error('expected a session');
  return response.result.value;
}

export const suite: BenchSuite = {
  needs: ['postgres', 'valkey', 'kafka'],
  async run(env, progress) {
    await ensureTopics(env.KAFKA_BROKERS ?? '', TOPICS);
    // The service checks every caller: the bench calls as the BFF, with a workload token of the
    // issuer the service trusts (as a Pod's projected ServiceAccount token).
    const callers = await TestCallers.start();
    const { child, address } = await startService(callers, env, progress);
    const client = createGrpcClient(IdentityService, address, {
      deadlineMs: 30_000,
      policy: createPolicy({ name: 'identity-bench', retry: { maxRetries: 0 } }),
      workload: callers.workload('auth-bff'),
    });
    try {
      progress(`creating ${ACCOUNTS} accounts`);
      const accounts = await Promise.all(
        Array.from({ length: ACCOUNTS }, async (_, i) => {
          const account = {
            email: `bench-${i}-${Date.now()}@example.com`,
            password: `Bench passphrase number ${i}`,
          };
          await client.createAccount({
            ...account,
            username: `bench_${i}_${Date.now().toString(36)}`,
            locale: 'en-US',
            country: 'KR',
          });
          return account;
        }),
      );

      // The machine's speed drifts (shared cores): alternate short raw and login phases and compare
      // their averages, so both figures see the same conditions.
      let next = 0;
      const grants: { sessionId: string; refreshToken: string }[] = [];
      let argon2Sum = 0;
      let loginSum = 0;
      for (let round = 1; round <= ROUNDS; round += 1) {
        progress(
          `round ${round}/${ROUNDS}: raw argon2id (m=${OWASP_ARGON2ID.memoryKiB} KiB, t=${OWASP_ARGON2ID.passes}, p=1) ${RAW_SECONDS} s, then password logins over gRPC ${LOGIN_SECONDS} s, ${LOGIN_CONCURRENCY} in flight`,
        );
        argon2Sum += await rawArgon2Rate(OWASP_ARGON2ID, RAW_SECONDS, LOGIN_CONCURRENCY);
        loginSum += await rate(LOGIN_SECONDS, LOGIN_CONCURRENCY, async () => {
          const i = next++;
          const grant = await login(client, accounts[i % ACCOUNTS] ?? { email: '', password: '' }, i);
          if (grants.length < CHEAP_CONCURRENCY) {
            grants.push({ sessionId: grant.session?.id ?? '', refreshToken: grant.refreshToken });
          }
        });
      }
      const argon2Limit = argon2Sum / ROUNDS;
      const loginRate = loginSum / ROUNDS;

      progress(`session validations, ${CHEAP_CONCURRENCY} in flight, ${CHEAP_SECONDS} s`);
      const validateRate = await rate(CHEAP_SECONDS, CHEAP_CONCURRENCY, async (loop) => {
        const { valid } = await client.validateSession({
          sessionId: grants[loop % grants.length]?.sessionId ?? '',
        });
        if (!valid) throw new Error('a fresh session did not validate');
      });

      progress(`refresh-token rotations, ${CHEAP_CONCURRENCY} chains, ${CHEAP_SECONDS} s`);
      const refreshRate = await rate(CHEAP_SECONDS, grants.length, async (loop) => {
        const chain = grants[loop];
        if (chain === undefined) return;
        const { session } = await client.refreshSession({ refreshToken: chain.refreshToken });
        chain.refreshToken = session?.refreshToken ?? '';
      });

      progress(`login ${loginRate.toFixed(1)}/s vs argon2id ${argon2Limit.toFixed(1)}/s`);
      return {
        login_per_s: loginRate,
        argon2_limit_per_s: argon2Limit,
        login_ratio: loginRate / argon2Limit,
        validate_per_s: validateRate,
        refresh_per_s: refreshRate,
      };
    } finally {
      client.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await callers.close();
    }
  },
};
