import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { DevicesTable, IdentityDatabase } from '../schema/database.ts';
import { DATABASE } from '../tokens.ts';
import type { Executor } from './executor.ts';

export type DeviceRow = Selectable<DevicesTable>;

const DEVICE_COLUMNS = [
  'id',
  'account_id',
  'fingerprint',
  'name',
  'trusted',
  'first_seen_at',
  'last_seen_at',
  'last_ip',
  'revoked_at',
] as const;

@Injectable()
export class DeviceRepository {
  readonly #db: Kysely<IdentityDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<IdentityDatabase>) {
    this.#db = db;
  }

  /**
   * Records a login from a device: registers it the first time (a revoked device comes back
   * untrusted) and refreshes last-seen otherwise. `created` tells whether it was inserted.
   */
  async upsertSeen(
    device: { id: string; accountId: string; fingerprint: string; name: string; ip: string; now: Date },
    tx: Executor,
  ): Promise<DeviceRow & { created: boolean }> {
    return (
      tx
        .insertInto('devices')
        .values({
          id: device.id,
          account_id: device.accountId,
          fingerprint: device.fingerprint,
          name: device.name,
          first_seen_at: device.now,
          last_seen_at: device.now,
          last_ip: device.ip,
        })
        .onConflict((oc) =>
          oc.constraint('devices_account_fingerprint_key').doUpdateSet((eb) => ({
            last_seen_at: eb.ref('excluded.last_seen_at'),
            last_ip: eb.ref('excluded.last_ip'),
            // A revoked device that logs in again is a new registration, untrusted.
            trusted: sql<boolean>`CASE WHEN devices.revoked_at IS NULL THEN devices.trusted ELSE false END`,
            revoked_at: null,
          })),
        )
        .returning(DEVICE_COLUMNS)
        // xmax = 0 only for a freshly inserted row, not for one updated by ON CONFLICT.
        .returning(sql<boolean>`(xmax = 0)`.as('created'))
        .executeTakeFirstOrThrow()
    );
  }

  async findById(
    accountId: string,
    deviceId: string,
    tx: Executor = this.#db,
  ): Promise<DeviceRow | undefined> {
    return tx
      .selectFrom('devices')
      .select(DEVICE_COLUMNS)
      .where('account_id', '=', accountId)
      .where('id', '=', deviceId)
      .executeTakeFirst();
  }

  async listByAccount(accountId: string, tx: Executor = this.#db): Promise<DeviceRow[]> {
    return tx
      .selectFrom('devices')
      .select(DEVICE_COLUMNS)
      .where('account_id', '=', accountId)
      .orderBy('last_seen_at', 'desc')
      .execute();
  }

  async setTrusted(
    accountId: string,
    deviceId: string,
    trusted: boolean,
    tx: Executor,
  ): Promise<DeviceRow | undefined> {
    return tx
      .updateTable('devices')
      .set({ trusted })
      .where('account_id', '=', accountId)
      .where('id', '=', deviceId)
      .where('revoked_at', 'is', null)
      .returning(DEVICE_COLUMNS)
      .executeTakeFirst();
  }

  async revoke(accountId: string, deviceId: string, now: Date, tx: Executor): Promise<DeviceRow | undefined> {
    return tx
      .updateTable('devices')
      .set({ revoked_at: now, trusted: false })
      .where('account_id', '=', accountId)
      .where('id', '=', deviceId)
      .where('revoked_at', 'is', null)
      .returning(DEVICE_COLUMNS)
      .executeTakeFirst();
  }

  async deleteAll(accountId: string, tx: Executor): Promise<void> {
    await tx.deleteFrom('devices').where('account_id', '=', accountId).execute();
  }
}
