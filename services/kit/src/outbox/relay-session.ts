import type { Compilable } from 'kysely';
import pg from 'pg';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.migration.ts';

/**
 * Key of the session advisory lock that elects the publishing relay. Advisory locks are scoped to
 * one database, so a constant is enough: one leader per service database. The bytes of "outbox" read as an integer.
 */
const RELAY_LOCK_KEY = 122550254464888n;

export interface RelaySessionHandlers {
  /** A row was committed to outbox_events. */
  readonly onNotification: () => void;
  /** The connection failed or closed: the lock, if held, is gone with it. */
  readonly onLost: (err: Error | undefined) => void;
}

/**
 * The relay's own PostgreSQL connection, outside any pool. It carries the leader lock, the LISTEN,
 * and every read and delete the relay makes. Running the deletes here is what fences a relay that
 * lost its lock: the lock lives exactly as long as this connection, so a relay whose connection
 * died can no longer mark anything as published, and the new leader's recovery sees its rows.
 * (A pooled kysely connection cannot be held for a process lifetime, nor surface notifications.)
 */
export class RelaySession {
  readonly #client: pg.Client;
  #alive = true;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async open(config: string | pg.ClientConfig, handlers: RelaySessionHandlers): Promise<RelaySession> {
    const client = new pg.Client({
      application_name: 'girok-outbox-relay',
      // Notice a dead peer on an idle connection (the usual state of a waiting follower).
      keepAlive: true,
      // A stuck statement must not wedge the relay; it errors, and the loop backs off and retries.
      statement_timeout: 30_000,
      ...(typeof config === 'string' ? { connectionString: config } : config),
    });
    const session = new RelaySession(client);
    const lost = (err: Error | undefined) => {
      if (!session.#alive) return;
      session.#alive = false;
      handlers.onLost(err);
    };
    client.on('error', (err) => lost(err));
    client.on('end', () => lost(undefined));
    client.on('notification', (message) => {
      if (message.channel === OUTBOX_NOTIFY_CHANNEL) handlers.onNotification();
    });
    try {
      await client.connect();
    } catch (err) {
      session.#alive = false;
      await client.end().catch(() => {});
      throw err;
    }
    return session;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Backend process id, to tell sessions apart in pg_locks and logs. */
  get pid(): number | undefined {
    return (this.#client as unknown as { processID?: number }).processID;
  }

  /** Non-blocking, so a follower can still notice shutdown; it simply asks again later. */
  async tryLead(): Promise<boolean> {
    const result = await this.#client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${RELAY_LOCK_KEY}) AS locked`,
    );
    return result.rows[0]?.locked === true;
  }

  async listen(): Promise<void> {
    await this.#client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
  }

  /** Runs a query built with kysely (typed, same dialect as the service) on this connection. */
  async run<R>(query: Compilable<R>): Promise<R[]> {
    const compiled = query.compile();
    const result = await this.#client.query(compiled.sql, compiled.parameters as unknown[]);
    return result.rows as R[];
  }

  /** Ends the session, which releases the lock and the LISTEN with it. */
  async close(): Promise<void> {
    this.#alive = false;
    await this.#client.end().catch(() => {});
  }
}
