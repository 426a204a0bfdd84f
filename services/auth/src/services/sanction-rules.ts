import { Violations } from '@girok/kit/errors';
import type { SanctionTypeValue } from '../schema/database.ts';
import { checkPermissionList } from './permission-rules.ts';

export const BAN_TYPES: ReadonlySet<SanctionTypeValue> = new Set(['TEMPORARY_BAN', 'PERMANENT_BAN']);

export function isBan(type: SanctionTypeValue): boolean {
  return BAN_TYPES.has(type);
}

export interface NewSanction {
  /** Undefined when the request named no (or an unknown) type. */
  readonly type: SanctionTypeValue | undefined;
  readonly reason: string;
  readonly features: readonly string[];
  readonly startsAt: Date;
  readonly endsAt: Date | undefined;
}

/**
 * The rules of CreateSanction, every broken one named at once:
 * TEMPORARY_BAN needs an end in the future, PERMANENT_BAN may not have one, FEATURE_RESTRICTION
 * lists at least one permission pattern (and only it lists any); an end always comes after the start.
 * Returns the features as they are stored (de-duplicated, sorted).
 */
export function checkNewSanction(input: NewSanction, now: Date, v = new Violations()): string[] {
  v.check(
    input.type !== undefined,
    'type',
    'must be WARNING, TEMPORARY_BAN, PERMANENT_BAN or FEATURE_RESTRICTION',
  );
  v.check(input.reason.trim() !== '' && input.reason.length <= 500, 'reason', 'must be 1-500 characters');
  let features: string[] = [];
  if (input.type === 'FEATURE_RESTRICTION') {
    features = checkPermissionList(v, 'features', input.features, { min: 1, max: 100 });
  } else {
    v.check(input.features.length === 0, 'features', 'only a FEATURE_RESTRICTION lists features');
  }
  const { endsAt } = input;
  if (input.type === 'TEMPORARY_BAN') {
    v.check(endsAt !== undefined, 'ends_at', 'is required for a TEMPORARY_BAN');
  }
  if (input.type === 'PERMANENT_BAN') {
    v.check(endsAt === undefined, 'ends_at', 'must be empty for a PERMANENT_BAN');
  } else if (endsAt !== undefined) {
    if (endsAt <= now) v.add('ends_at', 'must be in the future');
    else v.check(endsAt > input.startsAt, 'ends_at', 'must be after starts_at');
  }
  return features;
}

/** One sentence saying why an account gets no token, with the end of a temporary ban. */
export function banMessage(sanction: {
  readonly type: SanctionTypeValue;
  readonly endsAt: Date | null;
}): string {
  return sanction.type === 'TEMPORARY_BAN' && sanction.endsAt !== null
    ? `The account is banned until ${sanction.endsAt.toISOString()}`
    : 'The account is permanently banned';
}
