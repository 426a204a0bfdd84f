import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  GetProfileRequest,
  GetProfileResponseSchema,
  UpdateProfileRequest,
  UpdateProfileResponseSchema,
} from '@girok/contracts/identity/v1/identity';
import { assertThat, Violations } from '@girok/kit/errors';
import { appendEvents } from '@girok/kit/outbox';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { toProfile } from '../dtos/identity.dto.ts';
import { ProfileRepository } from '../repositories/profile.repository.ts';
import type { IdentityDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE } from '../tokens.ts';
import { IdentityEvents } from './identity-events.ts';
import { requireIds } from './validation.ts';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const E164 = /^\+[1-9]\d{6,14}$/;

function isPastDate(text: string, now: Date): boolean {
  const match = DATE.exec(text);
  if (match === null) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) &&
    date.toISOString().startsWith(text) &&
    date < now &&
    date.getUTCFullYear() >= 1900
  );
}

function isHttpsUrl(text: string): boolean {
  try {
    return new URL(text).protocol === 'https:';
  } catch {
    return false;
  }
}

@Injectable()
export class ProfileService {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #profiles: ProfileRepository;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<IdentityDatabase>,
    @Inject(ProfileRepository) profiles: ProfileRepository,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#profiles = profiles;
    this.#clock = clock;
  }

  async get(request: GetProfileRequest): Promise<MessageInitShape<typeof GetProfileResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const profile = await this.#profiles.findByAccount(request.accountId);
    assertThat(profile, 'NOT_FOUND', 'PROFILE_NOT_FOUND', 'No such profile');
    return { profile: toProfile(profile) };
  }

  async update(request: UpdateProfileRequest): Promise<MessageInitShape<typeof UpdateProfileResponseSchema>> {
    requireIds({ account_id: request.accountId });
    const now = this.#clock.now();
    const v = new Violations();
    const { displayName, avatarUrl, bio, birthDate, phoneNumber } = request;
    if (displayName !== undefined)
      v.check(
        displayName.trim().length >= 1 && displayName.length <= 64,
        'display_name',
        'must be 1-64 characters',
      );
    if (avatarUrl !== undefined)
      v.check(
        avatarUrl === '' || (avatarUrl.length <= 2048 && isHttpsUrl(avatarUrl)),
        'avatar_url',
        'must be an https URL of at most 2048 characters',
      );
    if (bio !== undefined) v.check(bio.length <= 500, 'bio', 'must be at most 500 characters');
    if (birthDate !== undefined)
      v.check(
        birthDate === '' || isPastDate(birthDate, now),
        'birth_date',
        'must be a past date as YYYY-MM-DD',
      );
    if (phoneNumber !== undefined)
      v.check(
        phoneNumber === '' || E164.test(phoneNumber),
        'phone_number',
        'must be in E.164 form, e.g. +821012345678',
      );
    v.throwIfAny();
    return this.#db.transaction().execute(async (tx) => {
      const profile = await this.#profiles.update(
        request.accountId,
        {
          updated_at: now,
          ...(displayName === undefined ? {} : { display_name: displayName.trim() }),
          ...(avatarUrl === undefined ? {} : { avatar_url: avatarUrl }),
          ...(bio === undefined ? {} : { bio }),
          ...(birthDate === undefined ? {} : { birth_date: birthDate }),
          ...(phoneNumber === undefined ? {} : { phone_number: phoneNumber }),
        },
        tx,
      );
      assertThat(profile, 'NOT_FOUND', 'PROFILE_NOT_FOUND', 'No such profile');
      await appendEvents(tx, [IdentityEvents.profile('updated', profile)]);
      return { profile: toProfile(profile) };
    });
  }
}
