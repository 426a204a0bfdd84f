import { type ClientOptions, WebSocket } from 'ws';

export const APP_ORIGIN = 'https://app.girok.test';

export interface GraphqlResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly data: T | null;
  readonly errors: readonly { message: string; extensions: { code: string; status: number } }[];
}

/**
 * How a browser reaches the BFF: the global `fetch` and a plain WebSocket by default; a suite that
 * resolves names through its own DNS server or trusts a test CA passes its own (e.g. undici's
 * `fetch` with a dispatcher, and `ws` options with `lookup` and `ca`).
 */
export interface BrowserTransport {
  readonly fetch?: typeof fetch;
  readonly origin?: string;
  readonly socketOptions?: ClientOptions;
}

/**
 * A browser as the BFF sees one: a cookie jar (the __Host- cookies, whatever the scheme), the CSRF
 * header echoed from its cookie, an Origin and a user agent. `at(url)` is the same browser talking
 * to another replica.
 */
export class Browser {
  readonly cookies: Map<string, string>;
  readonly baseUrl: string;
  readonly userAgent: string;
  readonly transport: BrowserTransport;
  /** Sent with every request (e.g. the X-Forwarded-For a proxy in front would add). */
  readonly headers: Record<string, string> = {};

  constructor(
    baseUrl: string,
    userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    cookies = new Map<string, string>(),
    transport: BrowserTransport = {},
  ) {
    this.baseUrl = baseUrl;
    this.userAgent = userAgent;
    this.cookies = cookies;
    this.transport = transport;
  }

  at(baseUrl: string): Browser {
    return new Browser(baseUrl, this.userAgent, this.cookies, this.transport);
  }

  get origin(): string {
    return this.transport.origin ?? APP_ORIGIN;
  }

  get csrfToken(): string | undefined {
    return this.cookies.get('__Host-girok_csrf');
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const response = await (this.transport.fetch ?? fetch)(`${this.baseUrl}${path}`, {
      method,
      headers: {
        'user-agent': this.userAgent,
        origin: this.origin,
        ...(this.cookies.size > 0 ? { cookie: this.cookieHeader } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...this.headers,
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** A GraphQL operation; mutations carry the CSRF header unless `csrf: false`. */
  async graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    options: { csrf?: boolean } = {},
  ): Promise<GraphqlResponse<T>> {
    const headers: Record<string, string> = {};
    if (options.csrf !== false && this.csrfToken !== undefined) headers['x-csrf-token'] = this.csrfToken;
    const response = await this.request('POST', '/graphql', { query, variables }, headers);
    const json = (await response.json()) as { data?: T | null; errors?: GraphqlResponse['errors'] };
    return { status: response.status, data: json.data ?? null, errors: json.errors ?? [] };
  }

  /** Fetches a CSRF token the way a page does before its first mutation. */
  async prepare(): Promise<this> {
    await this.graphql('query { csrfToken }');
    return this;
  }

  /** Opens `/ws/sessions` (or another path) with this browser's cookie and the app's Origin. */
  socket(path = '/ws/sessions', options: { origin?: string; cookies?: boolean } = {}): Promise<LiveSocket> {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}${path}`;
    const ws = new WebSocket(url, {
      ...this.transport.socketOptions,
      headers: {
        origin: options.origin ?? this.origin,
        ...(options.cookies === false ? {} : { cookie: this.cookieHeader }),
      },
    });
    return LiveSocket.open(ws);
  }
}

export interface SocketMessage {
  readonly type: string;
  readonly sessionId?: string | null;
  readonly accountId?: string;
  readonly current?: boolean;
  readonly [key: string]: unknown;
}

/** A connected `/ws/sessions`, recording what arrives and when. */
export class LiveSocket {
  readonly messages: { message: SocketMessage; at: number }[] = [];
  readonly #ws: WebSocket;
  #waiters: (() => void)[] = [];
  closeCode: number | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      this.messages.push({ message: JSON.parse(String(data)) as SocketMessage, at: performance.now() });
      for (const wake of this.#waiters) wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      for (const wake of this.#waiters) wake();
    });
  }

  /** Resolves when the server said `ready`; rejects with the HTTP status when it refused. */
  static open(ws: WebSocket): Promise<LiveSocket> {
    const socket = new LiveSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_request, response) =>
        reject(new SocketRefused(response.statusCode ?? 0)),
      );
      ws.once('error', reject);
      socket.next((m) => m.type === 'ready', 10_000).then(() => resolve(socket), reject);
    });
  }

  /** The first message (already received or still to come) matching, within the timeout. */
  async next(
    match: (message: SocketMessage) => boolean,
    timeoutMs = 5000,
  ): Promise<{ message: SocketMessage; at: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => match(m.message));
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(
          `no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.message))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#waiters = [];
    }
  }

  async closed(timeoutMs = 5000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.closeCode === undefined && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    if (this.closeCode === undefined) throw new Error('socket still open');
    return this.closeCode;
  }

  close(): void {
    this.#ws.close();
  }
}

export class SocketRefused extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`socket refused with HTTP ${status}`);
    this.status = status;
  }
}
