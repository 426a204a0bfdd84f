import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Violations } from '@girok/kit/errors';
import { isUuid } from '@girok/kit/ids';

/** Field rules shared by the auth RPCs. Each adds a violation naming the field. */
const COUNTRY = /^[A-Z]{2}$/;
const SERVICE = /^[a-z][a-z0-9-]{1,62}$/;

export function checkId(v: Violations, field: string, id: string): void {
  v.check(isUuid(id), field, 'must be a UUID');
}

/** An optional id (actor ids): empty is fine, anything else must be a UUID. */
export function checkOptionalId(v: Violations, field: string, id: string): void {
  if (id !== '') checkId(v, field, id);
}

/** Throws INVALID_ARGUMENT naming every bad id field, for RPCs that take only ids. */
export function requireIds(ids: Record<string, string>, optional: Record<string, string> = {}): void {
  const v = new Violations();
  for (const [field, id] of Object.entries(ids)) checkId(v, field, id);
  for (const [field, id] of Object.entries(optional)) checkOptionalId(v, field, id);
  v.throwIfAny();
}

export function checkCountry(v: Violations, field: string, country: string): void {
  v.check(COUNTRY.test(country), field, 'must be an ISO 3166-1 alpha-2 code in upper case, such as KR');
}

export function checkService(v: Violations, field: string, service: string): void {
  v.check(SERVICE.test(service), field, 'must be a service name such as identity-service (a-z 0-9 -)');
}

/** A timestamp field as a Date, or undefined when unset; out-of-range values are a violation. */
export function optionalDate(v: Violations, field: string, value: Timestamp | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = timestampDate(value);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 || date.getUTCFullYear() < 1970) {
    v.add(field, 'must be a timestamp between 1970 and 9999');
    return undefined;
  }
  return date;
}

export function pageSize(requested: number | undefined): number {
  const size = requested ?? 0;
  return size <= 0 ? 20 : Math.min(size, 100);
}

/** Keyset pagination: the token is the last id of the page, opaque to callers. */
export function pageToken(lastId: string | undefined): string {
  return lastId === undefined ? '' : Buffer.from(lastId).toString('base64url');
}

/** The id a page token stands for; a token that is not one of ours is a violation. */
export function afterIdFrom(v: Violations, token: string): string | undefined {
  if (token === '') return undefined;
  const id = Buffer.from(token, 'base64url').toString();
  if (!isUuid(id)) {
    v.add('page.page_token', 'is not a token from a previous page');
    return undefined;
  }
  return id;
}
