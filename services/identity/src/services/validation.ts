import { Violations } from '@girok/kit/errors';
import { isUuid } from '@girok/kit/ids';

/** Field rules shared by the identity RPCs. Each adds a violation naming the field. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,31}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const COUNTRY = /^[A-Z]{2}$/;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

export function checkEmail(v: Violations, field: string, email: string): void {
  v.check(
    email.length <= 254 && EMAIL.test(email),
    field,
    'must be an email address of at most 254 characters',
  );
}

export function checkUsername(v: Violations, field: string, username: string): void {
  v.check(USERNAME.test(username), field, 'must be 3-32 of a-z 0-9 . _ - starting with a letter or digit');
}

export function checkLocale(v: Violations, field: string, locale: string): void {
  v.check(locale.length <= 35 && LOCALE.test(locale), field, 'must be a BCP 47 language tag such as en-US');
}

export function checkCountry(v: Violations, field: string, country: string): void {
  v.check(COUNTRY.test(country), field, 'must be an ISO 3166-1 alpha-2 code such as KR');
}

export function checkId(v: Violations, field: string, id: string): void {
  v.check(isUuid(id), field, 'must be a UUID');
}

/** Throws INVALID_ARGUMENT naming every bad id field, for RPCs that take only ids. */
export function requireIds(ids: Record<string, string>): void {
  const v = new Violations();
  for (const [field, id] of Object.entries(ids)) checkId(v, field, id);
  v.throwIfAny();
}

export function pageSize(requested: number | undefined): number {
  const size = requested ?? 0;
  return size <= 0 ? 20 : Math.min(size, 100);
}
