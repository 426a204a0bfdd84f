import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  ListDevicesRequest,
  ListDevicesResponseSchema,
  RevokeDeviceRequest,
  RevokeDeviceResponseSchema,
  TrustDeviceRequest,
  TrustDeviceResponseSchema,
} from '@girok/contracts/identity/v1/identity';
import { assertThat } from '@girok/kit/errors';
import { appendEvents } from '@girok/kit/outbox';
import type { Caller } from '@girok/kit/rpc';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { toDevice } from '../dtos/identity.dto.ts';
import { DeviceRepository } from '../repositories/device.repository.ts';
import type { IdentityDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE } from '../tokens.ts';
import { auditEvent, IdentityEvents } from './identity-events.ts';
import { SessionService } from './session.service.ts';
import { requireIds } from './validation.ts';

/** The devices an account has logged in from; revoking one ends its sessions. */
@Injectable()
export class DeviceService {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #devices: DeviceRepository;
  readonly #sessions: SessionService;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<IdentityDatabase>,
    @Inject(DeviceRepository) devices: DeviceRepository,
    @Inject(SessionService) sessions: SessionService,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#devices = devices;
    this.#sessions = sessions;
    this.#clock = clock;
  }

  async list(request: ListDevicesRequest): Promise<MessageInitShape<typeof ListDevicesResponseSchema>> {
    requireIds({ account_id: request.accountId });
    return { devices: (await this.#devices.listByAccount(request.accountId)).map(toDevice) };
  }

  /**
   * Trusting a device lets its next logins skip the second factor, so only a session that completed
   * MFA on that very device may do it (a password alone must not buy a trusted device). Untrusting
   * needs no more than the account's own token.
   */
  async trust(
    request: TrustDeviceRequest,
    caller: Caller,
  ): Promise<MessageInitShape<typeof TrustDeviceResponseSchema>> {
    requireIds({ account_id: request.accountId, device_id: request.deviceId });
    if (request.trusted) {
      const session = caller.kind === 'user' ? await this.#sessions.find(caller.sessionId) : undefined;
      assertThat(
        session !== undefined &&
          session.account_id === request.accountId &&
          session.device_id === request.deviceId &&
          session.mfa_verified &&
          session.revoked_at === null,
        'FAILED_PRECONDITION',
        'MFA_REQUIRED_ON_DEVICE',
        'Trust a device from a session on that device that completed a second factor',
      );
    }
    return this.#db.transaction().execute(async (tx) => {
      const device = await this.#devices.setTrusted(request.accountId, request.deviceId, request.trusted, tx);
      assertThat(device, 'NOT_FOUND', 'DEVICE_NOT_FOUND', 'No such active device');
      await appendEvents(tx, [
        IdentityEvents.device(request.trusted ? 'trusted' : 'untrusted', device),
        auditEvent({
          action: request.trusted ? 'device.trust' : 'device.untrust',
          actorId: request.accountId,
          targetType: 'device',
          targetId: device.id,
          result: 'SUCCESS',
          now: this.#clock.now(),
        }),
      ]);
      return { device: toDevice(device) };
    });
  }

  async revoke(request: RevokeDeviceRequest): Promise<MessageInitShape<typeof RevokeDeviceResponseSchema>> {
    requireIds({ account_id: request.accountId, device_id: request.deviceId });
    return this.#db.transaction().execute(async (tx) => {
      const now = this.#clock.now();
      const device = await this.#devices.revoke(request.accountId, request.deviceId, now, tx);
      assertThat(device, 'NOT_FOUND', 'DEVICE_NOT_FOUND', 'No such active device');
      const revoked = await this.#sessions.revokeIn(
        tx,
        { accountId: request.accountId, deviceId: device.id },
        'DEVICE_REVOKED',
        request.client,
      );
      await appendEvents(tx, [
        IdentityEvents.device('revoked', device),
        auditEvent({
          action: 'device.revoke',
          actorId: request.accountId,
          targetType: 'device',
          targetId: device.id,
          result: 'SUCCESS',
          client: request.client,
          now,
        }),
      ]);
      return { revokedSessions: revoked };
    });
  }
}
