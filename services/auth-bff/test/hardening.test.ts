import { randomInt } from 'node:crypto';
import { APP_ORIGIN, type Browser } from '@girok/e2e/browser';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LOGIN_FIELDS, signUpAndLogIn, startTestPlatform, type TestPlatform } from './support.ts';

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${LOGIN_FIELDS} } }`;
const PER_IP_LIMIT = 4;

/** An address of the benchmarking range no other test uses. */
const someAddress = () => `198.18.${randomInt(256)}.${randomInt(1, 255)}`;

interface WsMessage {
  readonly id?: string;
  readonly type: string;
  readonly payload?: unknown;
}

/** A raw graphql-transport-ws client: what arrives for each operation id, unformatted. */
async function graphqlSocket(browser: Browser) {
  const ws = new WebSocket(`${browser.baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
    headers: { origin: APP_ORIGIN, cookie: browser.cookieHeader },
  });
  const messages: WsMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as WsMessage));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init' }));
  await expect.poll(() => messages.some((m) => m.type === 'connection_ack')).toBe(true);
  let next = 0;
  return {
    /** The first error or next message answering `query`. */
    answer: async (query: string): Promise<WsMessage> => {
      next += 1;
      const id = String(next);
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
      await expect
        .poll(() => messages.find((m) => m.id === id && (m.type === 'error' || m.type === 'next')))
        .toBeDefined();
      return messages.find((m) => m.id === id && (m.type === 'error' || m.type === 'next')) as WsMessage;
    },
    close: () => ws.close(),
  };
}

describe('auth-bff hardening: introspection, transport errors, socket errors, headers, trusted proxies', () => {
  let platform: TestPlatform;
  /** Replica 0: the defaults. Replica 1: explorer on, behind a trusted proxy at 127.0.0.1. */
  const plain = () => platform.browser(0);
  const behindProxy = (clientAddress = someAddress()) => {
    const browser = platform.browser(1);
    browser.headers['x-forwarded-for'] = `203.0.113.9, ${clientAddress}`;
    return browser;
  };

  beforeAll(async () => {
    platform = await startTestPlatform({
      replicas: 1,
      // Identity's limiter in memory: per-IP counts of other suites' identities stay out of it.
      identity: { VALKEY_URL: '', LOGIN_RATE_LIMIT_PER_IP: String(PER_IP_LIMIT) },
    });
    await platform.addReplica({ BFF_GRAPHQL_EXPLORER: 'true', BFF_TRUSTED_PROXIES: '127.0.0.1/32, ::1' });
  });
  afterAll(async () => {
    await platform?.close();
  });

  const signedUp = async (browser: Browser) => {
    await browser.prepare();
    const user = platform.newUser();
    const result = await signUpAndLogIn(browser, user);
    expect(result.errors).toEqual([]);
    return user;
  };

  it('introspection and the explorer are off unless configured', async () => {
    const refused = await plain().graphql('query { __schema { queryType { name } } }');
    expect(refused.status).toBe(400);
    expect(refused.errors[0]?.extensions.code).toBe('INTROSPECTION_DISABLED');
    const byType = await plain().graphql('query { __type(name: "Query") { name } }');
    expect(byType.errors[0]?.extensions.code).toBe('INTROSPECTION_DISABLED');
    expect((await plain().request('GET', '/graphiql')).status).toBe(404);
    // __typename is not introspection of the schema: clients rely on it.
    expect((await plain().graphql('query { __typename }')).status).toBe(200);

    const explorer = await behindProxy().request('GET', '/graphiql');
    expect(explorer.status).toBe(200);
    const introspection = await behindProxy().graphql(getIntrospectionQuery());
    expect(introspection.errors).toEqual([]);
    expect(introspection.status).toBe(200);
  });

  it('counts introspection against the complexity limit like any field', async () => {
    const aliases = Array.from({ length: 516 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ');
    const response = await behindProxy().request('POST', '/graphql', { query: `query { ${aliases} }` });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data: unknown; errors: { extensions: { code: string } }[] };
    expect(body.data).toBeNull();
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(JSON.stringify(body).length).toBeLessThan(4096);
  });

  it('answers an oversized body 413, malformed JSON 400 and other media types 415, as problem+json', async () => {
    const browser = await plain().prepare();
    const csrf = { 'x-csrf-token': browser.csrfToken ?? '' };
    const send = (path: string, body: string, contentType: string) =>
      fetch(`${browser.baseUrl}${path}`, {
        method: 'POST',
        headers: { ...csrf, cookie: browser.cookieHeader, origin: APP_ORIGIN, 'content-type': contentType },
        body,
      });
    const megabyte = JSON.stringify({ query: `query { csrfToken } # ${'x'.repeat(1024 * 1024)}` });
    const multipart =
      '--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ csrfToken }"}\r\n--b--\r\n';
    const cases = [
      { body: megabyte, type: 'application/json', status: 413, code: 'PAYLOAD_TOO_LARGE' },
      {
        body: '{"query": "query { csrfToken }"',
        type: 'application/json',
        status: 400,
        code: 'MALFORMED_REQUEST',
      },
      {
        body: multipart,
        type: 'multipart/form-data; boundary=b',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        body: 'query { csrfToken }',
        type: 'application/graphql',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      { body: '{"query":"{ csrfToken }"}', type: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    ];
    for (const path of ['/graphql', '/api/v1/auth/login']) {
      for (const { body, type, status, code } of cases) {
        const response = await send(path, body, type);
        expect({ path, type, status: response.status }).toEqual({ path, type, status });
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(await response.json()).toMatchObject({ status, code, correlationId: expect.any(String) });
      }
    }
  });

  it('codes every error over graphql-ws and never sends a raw JavaScript message', async () => {
    const browser = behindProxy();
    await signedUp(browser);
    const socket = await graphqlSocket(browser);
    const answers = {
      query: await socket.answer('query { csrfToken }'),
      syntax: await socket.answer('subscription { sessionChanges { '),
      deep: await socket.answer(
        `subscription { sessionChanges { ${'__type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }'} } }`,
      ),
      unknown: await socket.answer('subscription { nothingHere }'),
    };
    socket.close();
    for (const [name, answer] of Object.entries(answers)) {
      const errors = (
        answer.type === 'error' ? answer.payload : (answer.payload as { errors?: unknown }).errors
      ) as { message: string; extensions: Record<string, unknown> }[];
      expect(errors.length, name).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error.extensions, name).toEqual({
          code: expect.any(String),
          status: expect.any(Number),
          correlationId: expect.stringMatching(/.+/),
        });
        expect(error.message, name).not.toMatch(/Cannot read|undefined|TypeError/);
      }
    }
    expect((answers.query.payload as { extensions: { code: string } }[])[0]?.extensions.code).toBe(
      'OPERATION_NOT_SUPPORTED',
    );
    expect((answers.syntax.payload as { extensions: { code: string } }[])[0]?.extensions.code).toBe(
      'GRAPHQL_PARSE_FAILED',
    );
    expect(
      (answers.deep.payload as { extensions: { code: string } }[]).map((e) => e.extensions.code),
    ).toContain('QUERY_TOO_DEEP');
  });

  it('sends the security headers on every response, no-store on the API, and a strict CSP on the explorer', async () => {
    const everywhere = {
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    };
    const headersOf = (response: Response) => Object.fromEntries(response.headers);
    const browser = plain();
    const responses = {
      graphql: await browser.request('POST', '/graphql', { query: '{ csrfToken }' }),
      graphqlError: await browser.request('POST', '/graphql', { query: '{' }),
      rest: await browser.request('GET', '/api/v1/csrf'),
      restError: await browser.request('GET', '/api/v1/me'),
      health: await browser.request('GET', '/health/live'),
      missing: await browser.request('GET', '/nowhere'),
      explorer: await behindProxy().request('GET', '/graphiql'),
    };
    for (const [name, response] of Object.entries(responses)) {
      expect(headersOf(response), name).toMatchObject(everywhere);
      expect(response.headers.get('content-security-policy'), name).toContain("frame-ancestors 'none'");
    }
    for (const name of ['graphql', 'graphqlError', 'rest', 'restError'] as const)
      expect(responses[name].headers.get('cache-control'), name).toBe('no-store');
    expect(responses.rest.headers.get('content-security-policy')).toContain("default-src 'none'");
    const explorerPolicy = responses.explorer.headers.get('content-security-policy') ?? '';
    expect(explorerPolicy).toContain("script-src 'self' https://unpkg.com");
    expect(explorerPolicy).toContain("object-src 'none'");
    expect(explorerPolicy).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  });

  it('takes the client address from X-Forwarded-For only behind a trusted proxy, for the record and the per-IP limit', async () => {
    const sessionAddress = async (browser: Browser) => {
      const result = await browser.graphql<{ sessions: { ipAddress: string; current: boolean }[] }>(
        'query { sessions { ipAddress current } }',
      );
      return result.data?.sessions.find((s) => s.current)?.ipAddress;
    };
    const proxied = someAddress();
    const viaProxy = behindProxy(proxied);
    await signedUp(viaProxy);
    expect(await sessionAddress(viaProxy)).toBe(proxied);

    // Two clients behind the proxy: one exhausting its limit leaves the other's alone.
    const { email } = platform.newUser();
    const wrong = (browser: Browser) =>
      browser.graphql(LOGIN, { input: { identifier: email, password: 'not the password at all' } });
    const first = await behindProxy().prepare();
    const second = await behindProxy().prepare();
    const statuses: number[] = [];
    for (let i = 0; i <= PER_IP_LIMIT; i += 1) statuses.push((await wrong(first)).status);
    expect(statuses.at(-1)).toBe(429);
    expect((await wrong(second)).status).toBe(401);

    // Anyone else's X-Forwarded-For is ignored: the record shows the peer, and forging a new
    // address on every attempt does not escape the limit.
    const direct = plain();
    direct.headers['x-forwarded-for'] = someAddress();
    await signedUp(direct);
    expect(await sessionAddress(direct)).toBe('127.0.0.1');
    const forged: number[] = [];
    for (let i = 0; i < PER_IP_LIMIT; i += 1) {
      const browser = plain();
      browser.headers['x-forwarded-for'] = someAddress();
      forged.push((await wrong(await browser.prepare())).status);
    }
    expect(forged).toContain(429);
  });
});
