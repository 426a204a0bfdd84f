// npm run bench -- bff
// The BFF as a browser meets it: full password logins per second through its GraphQL against the
// raw argon2id rate at identity's parameters on the same cores (measured in this run), the access
// token verifications it makes on every request against raw `jose`, and how fast a session
// revocation reaches 1,000 open `/ws/sessions` sockets. identity-service, auth-service and the
// BFF run as in production: each its compiled build in a process of its own, logging to a file,
// on fresh databases, with Kafka between them; this process is only the browsers.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { type Argon2idParams, type BenchSuite, rawArgon2Rate } from '@girok/e2e/bench';
import { ensureTopics } from '@girok/e2e/events';
import { TokenVerifier } from '@girok/kit/auth';
import { createGrpcClient } from '@girok/kit/grpc';
import { createPolicy } from '@girok/kit/resilience';
import { freePort, TestCallers } from '@girok/kit/testing';
import { Valkey } from 'iovalkey';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { WebSocket } from 'ws';

// identity's own hashing parameters, read from its source at run time (a static import across the
// two compiled projects is one tsc refuses to rewrite).
const { OWASP_ARGON2ID } = (await import(
  String(new URL('../../identity/src/crypto/password-hasher.ts', import.meta.url))
)) as { OWASP_ARGON2ID: Argon2idParams };

const main = (service: string) =>
  fileURLToPath(new URL(`../../${service}/dist/src/main.js`, import.meta.url));
const TOPICS = [
  'identity.account.v1',
  'identity.session.v1',
  'identity.device.v1',
  'identity.profile.v1',
  'auth.role.v1',
  'auth.sanction.v1',
  'legal.consent.v1',
  'legal.dsr.v1',
  'audit.event.v1',
];
/** The page's origin: the BFF only lets allowed origins open its sockets. */
const ORIGIN = 'https://app.girok.bench';
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const CSRF_COOKIE = '__Host-girok_csrf';
const DEVICE_COOKIE = '__Host-girok_device';

const ACCOUNTS = 64;
const SIGN_UP_CONCURRENCY = 16;
/** In flight at once: enough to keep every core hashing, as the raw limit does. */
const LOGIN_CONCURRENCY = 32;
const LOGIN_ROUNDS = 4;
const RAW_SECONDS = 3;
const LOGIN_SECONDS = 5;
const VERIFY_ROUNDS = 6;
const VERIFY_SECONDS = 0.5;
const VERIFY_CONCURRENCY = 16;
const SOCKETS = 1000;
/** Browser sessions of the watching account that hold the sockets between them. */
const SOCKET_SESSIONS = 4;
const SOCKET_OPEN_CONCURRENCY = 50;
const REVOKES = 30;
const REVOKE_SPACING_MS = 200;

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { status me { sessionId } } }';
const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { status } }';
const REVOKE = 'mutation($id: ID!) { revokeSession(id: $id) }';

type Progress = (message: string) => void;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `worker` on `concurrency` loops for `seconds`; returns completed operations per second. */
async function rate(seconds: number, concurrency: number, worker: () => Promise<void>): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await worker();
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** Runs `task` for 0..count-1 with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, concurrency) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Nearest-rank percentile of ascending `sorted`. */
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;

/** CPU seconds a process has used (Linux /proc, in USER_HZ = 100 ticks), undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores), undefined where there is no /proc/stat. */
function machineBusySeconds(): number | undefined {
  try {
    const ticks = (fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return (ticks.reduce((a, b) => a + b, 0) - idle) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Where the cores went during a phase: each service process, this process (the browsers), and the
 * rest of the machine (Postgres, Kafka, Valkey and whatever else shares the cores).
 */
function cpuMeter(services: readonly Service[]) {
  const read = () => ({
    at: performance.now(),
    self: process.cpuUsage(),
    machine: machineBusySeconds(),
    services: services.map((s) => cpuSeconds(s.child.pid)),
  });
  const start = read();
  return (operations?: number): string => {
    const end = read();
    const seconds = (end.at - start.at) / 1000;
    const self = process.cpuUsage(start.self);
    const used: [string, number | undefined][] = services.map((s, i) => {
      const before = start.services[i];
      const after = end.services[i];
      return [s.name, before === undefined || after === undefined ? undefined : after - before];
    });
    used.push(['bench', (self.user + self.system) / 1e6]);
    const known = used.reduce((sum, [, v]) => sum + (v ?? 0), 0);
    if (start.machine !== undefined && end.machine !== undefined)
      used.push(['rest of machine', end.machine - start.machine - known]);
    const cores = used.map(([n, v]) => `${n} ${v === undefined ? '?' : (v / seconds).toFixed(2)}`).join(', ');
    const busy =
      start.machine === undefined || end.machine === undefined
        ? ''
        : `; machine ${((end.machine - start.machine) / seconds).toFixed(2)} of ${os.availableParallelism()} cores busy`;
    const perOp =
      operations === undefined || operations === 0
        ? ''
        : `; CPU ms per login: ${used.map(([n, v]) => `${n} ${v === undefined ? '?' : ((v * 1000) / operations).toFixed(1)}`).join(', ')}`;
    return `cores: ${cores}${busy}${perOp}`;
  };
}

/** A browser as the BFF sees one: a cookie jar, the CSRF header echoed from its cookie, an Origin. */
class Browser {
  readonly baseUrl: string;
  readonly cookies = new Map<string, string>();

  constructor(baseUrl: string, deviceCookie?: string) {
    this.baseUrl = baseUrl;
    if (deviceCookie !== undefined) this.cookies.set(DEVICE_COOKIE, deviceCookie);
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      origin: ORIGIN,
      'user-agent': USER_AGENT,
    };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader;
    const csrf = this.cookies.get(CSRF_COOKIE);
    if (csrf !== undefined) headers['x-csrf-token'] = csrf;
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const json = (await response.json()) as {
      data?: T | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    if ((json.errors?.length ?? 0) > 0 || json.data == null) {
      const what = json.errors?.map((e) => e.extensions?.code ?? e.message).join(', ');
      throw new Error(`GraphQL answered HTTP ${response.status}: ${what}`);
    }
    return json.data;
  }

  /** Fetches a CSRF token the way a page does before its first mutation. */
  async prepare(): Promise<this> {
    await this.graphql('query { csrfToken }');
    return this;
  }

  async login(identifier: string, password: string): Promise<string> {
    const { login } = await this.graphql<{ login: { status: string; me: { sessionId: string } | null } }>(
      LOGIN,
      { input: { identifier, password } },
    );
    if (login.status !== 'AUTHENTICATED' || login.me === null)
      throw new Error(`login answered ${login.status}`);
    return login.me.sessionId;
  }
}

interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logPath: string;
  readonly http: number;
  readonly grpc: number;
}

/** Starts a compiled service, waits for its start-up line (it names its ports) and its readiness. */
async function startService(
  name: string,
  entry: string,
  env: Record<string, string>,
  progress: Progress,
): Promise<Service> {
  // Logs go to a file, as a container runtime would take them: a pipe this busy process reads
  // late would measure our reading, not the service.
  const logPath = path.join(os.tmpdir(), `bff-bench-${process.pid}-${name}.log`);
  const logFd = fs.openSync(logPath, 'w');
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '1000', ...env },
    stdio: ['ignore', logFd, 'inherit'],
  });
  fs.closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const deadline = performance.now() + 60_000;
  let ports: { http: number; grpc?: number } | undefined;
  while (ports === undefined) {
    if (exited !== undefined)
      throw new Error(
        `${name} exited with ${exited} before it started (built? npm run build); see ${logPath}`,
      );
    if (performance.now() > deadline) throw new Error(`${name} did not start within 60 s; see ${logPath}`);
    const started = fs
      .readFileSync(logPath, 'utf8')
      .split('\n')
      .find((line) => line.includes(`"${name} started"`));
    if (started !== undefined) ports = JSON.parse(started) as { http: number; grpc?: number };
    else await sleep(100);
  }
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${ports.http}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (exited !== undefined || performance.now() > deadline)
      throw new Error(`${name} never became ready; see ${logPath}`);
    await sleep(100);
  }
  progress(
    `${name} running (HTTP ${ports.http}${ports.grpc === undefined ? '' : `, gRPC ${ports.grpc}`}, log ${logPath})`,
  );
  return { name, child, logPath, http: ports.http, grpc: ports.grpc ?? 0 };
}

async function stopService(service: Service): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface Account {
  readonly email: string;
  readonly password: string;
  /** The device cookie of the browser it signed up in: its usual device. */
  device: string | undefined;
}

/** Signs an account up through the BFF and logs it in, as a new user does. */
async function signUp(bffUrl: string, tag: string): Promise<Account & { browser: Browser }> {
  const account = {
    email: `${tag}@example.com`,
    username: tag,
    password: `Bench passphrase for ${tag}`,
    country: 'KR',
  };
  const browser = await new Browser(bffUrl).prepare();
  const { signUp } = await browser.graphql<{ signUp: { status: string } }>(SIGN_UP, { input: account });
  if (signUp.status !== 'SIGNED_UP') throw new Error(`sign-up answered ${signUp.status}`);
  await browser.login(account.email, account.password);
  return { ...account, device: browser.cookies.get(DEVICE_COOKIE), browser };
}

/** Logins per second through the BFF, alternating with raw argon2id rounds. */
async function measureLogins(bffUrl: string, services: readonly Service[], tag: string, progress: Progress) {
  progress(`signing up ${ACCOUNTS} accounts through the BFF (${SIGN_UP_CONCURRENCY} in flight)`);
  const accounts: Account[] = [];
  await pool(ACCOUNTS, SIGN_UP_CONCURRENCY, async (i) => {
    accounts[i] = await signUp(bffUrl, `${tag}l${i}`);
  });

  // A login starts from a page that already holds its CSRF token: those are fetched before each
  // login phase, outside its clock. Each jar is new (no session), but keeps the device cookie of
  // the account's usual browser: a returning user, as most logins are (and as the identity bench).
  let nextAccount = 0;
  const prepared: { browser: Browser; account: Account }[] = [];
  const prepare = async () => {
    const account = accounts[nextAccount++ % ACCOUNTS] as Account;
    return { browser: await new Browser(bffUrl, account.device).prepare(), account };
  };
  let preparedInline = 0;
  let argon2Sum = 0;
  let loginSum = 0;
  const perRound: string[] = [];
  for (let round = 1; round <= LOGIN_ROUNDS; round += 1) {
    progress(
      `login round ${round}/${LOGIN_ROUNDS}: raw argon2id (m=${OWASP_ARGON2ID.memoryKiB} KiB, t=${OWASP_ARGON2ID.passes}, p=${OWASP_ARGON2ID.parallelism}) ${RAW_SECONDS} s, then BFF GraphQL logins ${LOGIN_SECONDS} s, ${LOGIN_CONCURRENCY} in flight`,
    );
    const rawMeter = cpuMeter(services);
    const argon2 = await rawArgon2Rate(OWASP_ARGON2ID, RAW_SECONDS, LOGIN_CONCURRENCY);
    const rawCpu = rawMeter();
    const wanted = Math.ceil(argon2 * LOGIN_SECONDS * 1.5) + LOGIN_CONCURRENCY;
    if (prepared.length < wanted) {
      const fresh = new Array<{ browser: Browser; account: Account }>(wanted - prepared.length);
      await pool(fresh.length, 16, async (i) => {
        fresh[i] = await prepare();
      });
      prepared.push(...fresh);
    }
    const loginMeter = cpuMeter(services);
    let completed = 0;
    const logins = await rate(LOGIN_SECONDS, LOGIN_CONCURRENCY, async () => {
      let page = prepared.pop();
      if (page === undefined) {
        preparedInline += 1;
        page = await prepare();
      }
      await page.browser.login(page.account.email, page.account.password);
      completed += 1;
    });
    const loginCpu = loginMeter(completed);
    argon2Sum += argon2;
    loginSum += logins;
    perRound.push(`${logins.toFixed(1)}/${argon2.toFixed(1)}`);
    progress(
      `  round ${round}: logins ${logins.toFixed(1)}/s, argon2id ${argon2.toFixed(1)}/s (${(logins / argon2).toFixed(2)})`,
    );
    progress(`    during argon2id ${rawCpu}`);
    progress(`    during logins ${loginCpu}`);
  }
  if (preparedInline > 0)
    progress(`  ${preparedInline} logins had to fetch their CSRF token inside the clock`);
  const argon2Limit = argon2Sum / LOGIN_ROUNDS;
  const loginRate = loginSum / LOGIN_ROUNDS;
  progress(
    `logins ${loginRate.toFixed(1)}/s vs argon2id ${argon2Limit.toFixed(1)}/s (login/argon2 per round: ${perRound.join(' ')})`,
  );
  return { loginRate, argon2Limit };
}

/** The BFF's own verifier (kit TokenVerifier on auth's JWKS) against raw jose on the same key. */
async function measureVerify(
  bffUrl: string,
  auth: Service,
  callers: TestCallers,
  tag: string,
  progress: Progress,
) {
  const account = await signUp(bffUrl, `${tag}v`);
  const sessionId = await (await new Browser(bffUrl, account.device).prepare()).login(
    account.email,
    account.password,
  );
  const authGrpc = createGrpcClient(AuthService, `127.0.0.1:${auth.grpc}`, {
    deadlineMs: 10_000,
    policy: createPolicy({ name: 'bff-bench', retry: { maxRetries: 0 } }),
    workload: callers.workload('auth-bff'),
  });
  let token: string;
  try {
    ({ accessToken: token } = await authGrpc.issueAccessToken({ sessionId }));
  } finally {
    authGrpc.close();
  }
  const jwksUrl = `http://127.0.0.1:${auth.http}/.well-known/jwks.json`;
  // As the BFF configures it (config.ts defaults, auth-bff.ts).
  const verifier = new TokenVerifier({
    jwksUrl,
    issuer: 'girok-auth',
    audience: 'girok',
    cacheMaxAgeMs: 5 * 60_000,
    cooldownMs: 1000,
  });
  const { kid, alg } = decodeProtectedHeader(token);
  const jwks = (await (await fetch(jwksUrl)).json()) as { keys: JWK[] };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (jwk === undefined) throw new Error(`the token's key ${kid} is not in ${jwksUrl}`);
  const publicKey = await importJWK(jwk, alg ?? 'ES256');
  const algorithms = [alg ?? 'ES256'];

  const viaVerifier = async () => {
    const claims = await verifier.verify(token);
    if (claims.sid !== sessionId) throw new Error('verified the wrong token');
  };
  const viaJose = async () => {
    await jwtVerify(token, publicKey, { algorithms });
  };
  // Warm-up: the JWKS fetched and cached, both paths compiled.
  await rate(0.5, VERIFY_CONCURRENCY, viaVerifier);
  await rate(0.5, VERIFY_CONCURRENCY, viaJose);

  progress(
    `verify: ${VERIFY_ROUNDS} alternating rounds of raw jose jwtVerify and the BFF's TokenVerifier (${algorithms[0]}, ${VERIFY_CONCURRENCY} in flight, ${VERIFY_SECONDS} s each)`,
  );
  let verifySum = 0;
  let joseSum = 0;
  const perRound: string[] = [];
  for (let round = 1; round <= VERIFY_ROUNDS; round += 1) {
    // Each goes first every other round, so neither always meets the machine a moment later.
    let jose = 0;
    let verify = 0;
    if (round % 2 === 1) {
      jose = await rate(VERIFY_SECONDS, VERIFY_CONCURRENCY, viaJose);
      verify = await rate(VERIFY_SECONDS, VERIFY_CONCURRENCY, viaVerifier);
    } else {
      verify = await rate(VERIFY_SECONDS, VERIFY_CONCURRENCY, viaVerifier);
      jose = await rate(VERIFY_SECONDS, VERIFY_CONCURRENCY, viaJose);
    }
    joseSum += jose;
    verifySum += verify;
    perRound.push(`${verify.toFixed(0)}/${jose.toFixed(0)}`);
  }
  progress(
    `TokenVerifier ${(verifySum / VERIFY_ROUNDS).toFixed(0)}/s vs jose ${(joseSum / VERIFY_ROUNDS).toFixed(0)}/s (verifier/jose per round: ${perRound.join(' ')})`,
  );
  return { verifyRate: verifySum / VERIFY_ROUNDS, joseRate: joseSum / VERIFY_ROUNDS };
}

interface Watcher {
  readonly ws: WebSocket;
  /** Revoked session ids this socket has heard of (a redelivered event counts once). */
  readonly seen: Set<string>;
}

/** How long a revocation takes to reach each of SOCKETS open `/ws/sessions` of the account. */
async function measureFanOut(bffUrl: string, services: readonly Service[], tag: string, progress: Progress) {
  const owner = await signUp(bffUrl, `${tag}w`);
  // The sessions that will be revoked: other devices of the same account.
  progress(`logging the watched account in ${REVOKES} more times, from other browsers`);
  const victims: string[] = [];
  // Four at once: identity checks no more than LOCKOUT_MAX_FAILURES (5) passwords of one account at a
  // time, so a sixth concurrent login of the same account is refused until one finishes.
  await pool(REVOKES, 4, async (i) => {
    victims[i] = await (await new Browser(bffUrl).prepare()).login(owner.email, owner.password);
  });
  const holders = [owner.browser];
  while (holders.length < SOCKET_SESSIONS) {
    const browser = await new Browser(bffUrl).prepare();
    await browser.login(owner.email, owner.password);
    holders.push(browser);
  }
  const revoker = owner.browser;

  const pending = new Map<string, number>();
  const samples: number[] = [];
  /** Per revoked session: its first and last arrival after t0. */
  const spread = new Map<string, { first: number; last: number }>();
  const watchers: Watcher[] = [];
  const wsUrl = `${bffUrl.replace(/^http/, 'ws')}/ws/sessions`;
  const open = (holder: Browser) =>
    new Promise<Watcher | undefined>((resolve) => {
      const ws = new WebSocket(wsUrl, { headers: { origin: ORIGIN, cookie: holder.cookieHeader } });
      const watcher: Watcher = { ws, seen: new Set() };
      const timer = setTimeout(() => {
        ws.terminate();
        resolve(undefined);
      }, 20_000);
      ws.on('message', (data) => {
        const at = performance.now();
        const message = JSON.parse(String(data)) as { type: string; sessionId?: string | null };
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(watcher);
          return;
        }
        if (message.type !== 'session.revoked' || typeof message.sessionId !== 'string') return;
        const t0 = pending.get(message.sessionId);
        if (t0 === undefined || watcher.seen.has(message.sessionId)) return;
        watcher.seen.add(message.sessionId);
        samples.push(at - t0);
        const range = spread.get(message.sessionId);
        if (range === undefined) spread.set(message.sessionId, { first: at - t0, last: at - t0 });
        else range.last = at - t0;
      });
      ws.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      ws.on('unexpected-response', (_request, response) => {
        clearTimeout(timer);
        progress(`  a socket was refused with HTTP ${response.statusCode}`);
        ws.terminate();
        resolve(undefined);
      });
    });

  progress(
    `opening ${SOCKETS} /ws/sessions sockets over ${SOCKET_SESSIONS} sessions of one account (${SOCKET_OPEN_CONCURRENCY} handshakes in flight; ulimit -n allows this process ${describeFdLimit()})`,
  );
  const opening = performance.now();
  await pool(SOCKETS, SOCKET_OPEN_CONCURRENCY, async (i) => {
    const watcher = await open(holders[i % holders.length] as Browser);
    if (watcher !== undefined) watchers.push(watcher);
  });
  progress(`${watchers.length} sockets ready in ${((performance.now() - opening) / 1000).toFixed(1)} s`);
  try {
    // Let the session.created events of the logins above drain before the clock starts.
    await sleep(1500);
    progress(`revoking ${REVOKES} sessions through the BFF, ${REVOKE_SPACING_MS} ms apart`);
    const roundTrips: number[] = [];
    const meter = cpuMeter(services);
    for (const sessionId of victims) {
      const t0 = performance.now();
      pending.set(sessionId, t0);
      const { revokeSession } = await revoker.graphql<{ revokeSession: boolean }>(REVOKE, { id: sessionId });
      if (!revokeSession) throw new Error('revokeSession answered false');
      roundTrips.push(performance.now() - t0);
      await sleep(t0 + REVOKE_SPACING_MS - performance.now());
    }
    const expected = watchers.length * victims.length;
    const deadline = performance.now() + 15_000;
    while (samples.length < expected && performance.now() < deadline) await sleep(50);
    progress(`  during revokes ${meter()}`);
    const sorted = [...samples].sort((a, b) => a - b);
    roundTrips.sort((a, b) => a - b);
    const firsts = [...spread.values()].map((r) => r.first).sort((a, b) => a - b);
    const lasts = [...spread.values()].map((r) => r.last).sort((a, b) => a - b);
    progress(
      `per revoke: first socket p50 ${percentile(firsts, 0.5).toFixed(1)} ms (max ${(firsts.at(-1) ?? Number.NaN).toFixed(1)}), last socket p50 ${percentile(lasts, 0.5).toFixed(1)} ms (max ${(lasts.at(-1) ?? Number.NaN).toFixed(1)})`,
    );
    progress(
      `${samples.length}/${expected} deliveries: p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, max ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} ms; revokeSession round trip p50 ${percentile(roundTrips, 0.5).toFixed(1)} ms`,
    );
    return {
      sockets: watchers.length,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      missed: expected - samples.length,
    };
  } finally {
    await Promise.all(
      watchers.map(
        ({ ws }) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 2000);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close();
          }),
      ),
    );
  }
}

function describeFdLimit(): string {
  try {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
    return soft === undefined ? 'an unknown number of' : `${soft} descriptors`;
  } catch {
    return 'an unknown number of descriptors';
  }
}

/** Drops the bench's databases, Valkey keys and consumer group. */
async function cleanUp(
  env: Record<string, string>,
  databases: readonly string[],
  valkeyPrefix: string,
  group: string,
  progress: Progress,
) {
  const admin = new pg.Client({ connectionString: env.DATABASE_URL });
  await admin.connect();
  try {
    for (const name of databases)
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const valkey = new Valkey(env.VALKEY_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await valkey.connect();
  let keys = 0;
  try {
    let cursor = '0';
    do {
      const [next, found] = await valkey.scan(cursor, 'MATCH', `${valkeyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) keys += await valkey.unlink(...found);
    } while (cursor !== '0');
  } finally {
    valkey.disconnect();
  }
  const kafka = new kafkajs.Kafka({
    brokers: (env.KAFKA_BROKERS ?? '').split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await kafka.connect();
  await kafka.deleteGroups([group]).catch(() => {});
  await kafka.disconnect();
  progress(`dropped ${databases.join(', ')}, ${keys} Valkey keys and consumer group ${group}`);
}

export const suite: BenchSuite = {
  needs: ['postgres', 'valkey', 'kafka'],
  async run(env, progress) {
    const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
    const brokers = env.KAFKA_BROKERS ?? '';
    await ensureTopics(brokers, TOPICS);
    const database = (name: string) => {
      const url = new URL(env.DATABASE_URL ?? '');
      url.pathname = `/${name}`;
      return url.toString();
    };
    const identityDb = `identity_bffbench_${suffix}`;
    const authDb = `auth_bffbench_${suffix}`;
    const legalDb = `legal_bffbench_${suffix}`;
    const valkeyPrefix = `bffbench-${suffix}:`;
    const group = `auth-bff-bench-${suffix}`;
    const key = () => `k1:${randomBytes(32).toString('base64')}`;
    const services: Service[] = [];
    // Every service checks its callers: each process gets a workload token file (as the kubelet
    // projects one) of an issuer they all trust, and auth's JWKS port is chosen up front so
    // identity (started first) can verify the tokens the BFF forwards.
    const callers = await TestCallers.start();
    const tokens = fs.mkdtempSync(path.join(os.tmpdir(), 'bff-bench-tokens-'));
    const tokenFile = async (component: string) => {
      const file = path.join(tokens, component);
      fs.writeFileSync(file, await callers.workloadToken(component, 3600), { mode: 0o600 });
      return { WORKLOAD_TOKEN_FILE: file };
    };
    const authHttp = await freePort();
    const jwksUrl = `http://127.0.0.1:${authHttp}/.well-known/jwks.json`;
    const trust = { ...callers.workloadEnv(), AUTH_JWKS_URL: jwksUrl };
    try {
      const identity = await startService(
        'identity-service',
        main('identity'),
        {
          ...trust,
          DATABASE_URL: database(identityDb),
          VALKEY_URL: env.VALKEY_URL ?? '',
          KAFKA_BROKERS: brokers,
          IDENTITY_KEY_RING: key(),
          IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
          HTTP_PORT: '0',
          GRPC_PORT: '0',
          // One client address logs in thousands of times here: lift the per-IP and per-account limits.
          LOGIN_RATE_LIMIT_PER_IP: '1000000',
          LOGIN_RATE_LIMIT_PER_ACCOUNT: '1000000',
        },
        progress,
      );
      services.push(identity);
      const auth = await startService(
        'auth-service',
        main('auth'),
        {
          ...trust,
          ...(await tokenFile('auth-service')),
          DATABASE_URL: database(authDb),
          KAFKA_BROKERS: brokers,
          IDENTITY_GRPC_ADDRESS: `127.0.0.1:${identity.grpc}`,
          AUTH_KEY_RING: key(),
          HTTP_PORT: String(authHttp),
          GRPC_PORT: '0',
        },
        progress,
      );
      services.push(auth);
      // Sign-up and login ask legal-service which documents the account must (re-)accept.
      const legal = await startService(
        'legal-service',
        main('legal'),
        {
          ...trust,
          ...(await tokenFile('legal-service')),
          DATABASE_URL: database(legalDb),
          KAFKA_BROKERS: brokers,
          LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
          IDENTITY_GRPC_ADDRESS: `127.0.0.1:${identity.grpc}`,
          LEGAL_CONSUMER_GROUP: `legal-bench-${suffix}`,
          HTTP_PORT: '0',
          GRPC_PORT: '0',
        },
        progress,
      );
      services.push(legal);
      const bff = await startService(
        'auth-bff',
        main('auth-bff'),
        {
          ...trust,
          ...(await tokenFile('auth-bff')),
          VALKEY_URL: env.VALKEY_URL ?? '',
          KAFKA_BROKERS: brokers,
          IDENTITY_GRPC_ADDRESS: `127.0.0.1:${identity.grpc}`,
          AUTH_GRPC_ADDRESS: `127.0.0.1:${auth.grpc}`,
          LEGAL_GRPC_ADDRESS: `127.0.0.1:${legal.grpc}`,
          BFF_KEY_RING: key(),
          BFF_ALLOWED_ORIGINS: ORIGIN,
          BFF_CONSUMER_GROUP: group,
          BFF_VALKEY_PREFIX: valkeyPrefix,
          // Every bench account signs up from 127.0.0.1.
          BFF_SIGNUP_RATE_LIMIT_PER_IP: '100000',
          HTTP_PORT: '0',
        },
        progress,
      );
      services.push(bff);
      const bffUrl = `http://127.0.0.1:${bff.http}`;
      const tag = `b${suffix.slice(0, 6)}`;

      const { loginRate, argon2Limit } = await measureLogins(bffUrl, services, tag, progress);
      const { verifyRate, joseRate } = await measureVerify(bffUrl, auth, callers, tag, progress);
      const ws = await measureFanOut(bffUrl, services, tag, progress);
      return {
        login_ratio: loginRate / argon2Limit,
        verify_ratio: verifyRate / joseRate,
        ws_p99_ms: ws.p99,
        login_per_s: loginRate,
        argon2_limit_per_s: argon2Limit,
        verify_per_s: verifyRate,
        jose_verify_per_s: joseRate,
        ws_sockets: ws.sockets,
        ws_p50_ms: ws.p50,
        ws_missed: ws.missed,
      };
    } finally {
      for (const service of services.reverse()) await stopService(service);
      await callers.close();
      fs.rmSync(tokens, { recursive: true, force: true });
      await cleanUp(env, [identityDb, authDb, legalDb], valkeyPrefix, group, progress).catch(
        (error: unknown) =>
          progress(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  },
};
