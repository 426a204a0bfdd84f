import { Violations } from '@girok/kit/errors';
import { isUuid } from '@girok/kit/ids';

/** Field rules shared by the identity RPCs. Each adds a violation naming the field. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,31}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const COUNTRY = /^[A-Z]{2}$/;

/**
 * The one form an email or username is stored and looked up in: compatibility forms folded
 * (full-width letters, ligatures, decomposed accents), invisible characters (zero-width spaces,
 * joiners, variation selectors: Unicode's default-ignorable code points) removed, lower-cased.
 * Two strings a person cannot tell apart by these means are one identifier.
 */
export function normaliseIdentifier(value: string): string {
  const visible = value.replace(/\p{Default_Ignorable_Code_Point}/gu, '');
  // Lower-casing can leave a decomposed sequence (İ → i + U+0307), hence the second NFKC.
  return visible.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
}

export const normaliseEmail = normaliseIdentifier;
export const normaliseUsername = normaliseIdentifier;

/** The look-alike scripts: a label mixing two of them is how `pаypal` (Cyrillic а) is spelled. */
const CONFUSABLE_SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u];

function mixesScripts(label: string): boolean {
  return CONFUSABLE_SCRIPTS.filter((script) => script.test(label)).length > 1;
}

/**
 * The UTS #39 skeleton of a valid username (a-z 0-9 . _ -), so look-alikes share one: the
 * confusables.txt mappings among those characters (0 → o, 1 → l, rn → m). Other scripts never
 * reach it: `checkUsername` allows ASCII only and names a script mix as such.
 */
export function usernameSkeleton(username: string): string {
  return username.replaceAll('0', 'o').replaceAll('1', 'l').replaceAll('rn', 'm');
}

export function checkEmail(v: Violations, field: string, email: string): void {
  v.check(
    email.length <= 254 && EMAIL.test(email),
    field,
    'must be an email address of at most 254 characters',
  );
  v.check(
    !email.split(/[@.]/).some(mixesScripts),
    field,
    'must not mix Latin, Cyrillic or Greek letters within a part',
  );
}

export function checkUsername(v: Violations, field: string, username: string): void {
  if (mixesScripts(username)) {
    v.add(field, 'must not mix Latin, Cyrillic or Greek letters');
    return;
  }
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
