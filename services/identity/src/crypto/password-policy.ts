import type { FieldViolation } from '@girok/kit/errors';
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The password rules of docs/architecture.md §3 (NIST SP 800-63B style: length and a blocklist, no composition
 * rules). The history of 5 needs stored hashes and is enforced by the service.
 */

export type AccountMode = 'USER' | 'ADMIN' | 'OPERATOR';

export interface PasswordCandidate {
  readonly password: string;
  readonly mode: AccountMode;
  readonly email?: string;
  readonly username?: string;
}

export const PASSWORD_MIN_LENGTH = 8;
/** Privileged accounts need more: their compromise costs more. */
export const PASSWORD_MIN_LENGTH_PRIVILEGED = 12;
/** Generous for passphrases, but bounded so nobody feeds megabytes to the hasher. */
export const PASSWORD_MAX_LENGTH = 128;

const FIELD = 'password';

/**
 * The zxcvbn-ts common-password list (from Xato's 10-million-password corpus, lowercased, ranked by
 * frequency). Built once on first use; lookups are exact matches on the lowercased password.
 */
let commonPasswords: ReadonlySet<string> | undefined;
function defaultCommonPasswords(): ReadonlySet<string> {
  commonPasswords ??= new Set(dictionary['passwords-common']);
  return commonPasswords;
}

/**
 * The zxcvbn list leaves out what zxcvbn's pattern matchers catch on their own ("aaaaaaaa",
 * "abcdefgh", "87654321", "12341234"), so exact matching needs this small complement: one short
 * unit repeated, or a run of consecutive characters up or down.
 */
function isTrivialPattern(password: string): boolean {
  const chars = [...password];
  for (let unit = 1; unit <= 4 && unit * 2 <= chars.length; unit += 1) {
    if (chars.every((char, i) => char === chars[i % unit])) return true;
  }
  const codes = chars.map((char) => char.codePointAt(0) ?? 0);
  const step = (codes[1] ?? 0) - (codes[0] ?? 0);
  return (
    (step === 1 || step === -1) && codes.every((code, i) => i === 0 || code - (codes[i - 1] ?? 0) === step)
  );
}

export class PasswordPolicy {
  readonly #common: () => ReadonlySet<string>;

  /** `commonPasswords` (lowercase entries) can be injected for tests; the default is the zxcvbn list. */
  constructor(options: { commonPasswords?: ReadonlySet<string> } = {}) {
    const injected = options.commonPasswords;
    this.#common = injected === undefined ? defaultCommonPasswords : () => injected;
  }

  /** Every rule the password breaks, as violations of the `password` field; empty when it is acceptable. */
  check(candidate: PasswordCandidate): FieldViolation[] {
    const violations: FieldViolation[] = [];
    const add = (description: string) => violations.push({ field: FIELD, description });
    // Same normalisation as the hasher; length counts code points, so an emoji is one character.
    const password = candidate.password.normalize('NFKC');
    const length = [...password].length;
    const privileged = candidate.mode === 'ADMIN' || candidate.mode === 'OPERATOR';
    const min = privileged ? PASSWORD_MIN_LENGTH_PRIVILEGED : PASSWORD_MIN_LENGTH;

    if (length < min) {
      add(
        privileged
          ? `Password must be at least ${min} characters long for administrator and operator accounts`
          : `Password must be at least ${min} characters long`,
      );
    }
    if (length > PASSWORD_MAX_LENGTH) add(`Password must be at most ${PASSWORD_MAX_LENGTH} characters long`);

    const lower = password.toLowerCase();
    if (this.#isIdentifier(lower, candidate)) {
      add('Password must not be the same as your email address or username');
    } else if (lower !== '' && (this.#common().has(lower) || isTrivialPattern(lower))) {
      // Never echo the password: descriptions end up in logs and error bodies.
      add('Password is too common or too easy to guess; choose a longer or less predictable one');
    }
    return violations;
  }

  #isIdentifier(lower: string, { email, username }: PasswordCandidate): boolean {
    const same = (value: string | undefined) =>
      value !== undefined && value !== '' && value.normalize('NFKC').toLowerCase() === lower;
    // The email's local part too: "jane.doe" for jane.doe@example.com is the same guess.
    const at = email?.lastIndexOf('@') ?? -1;
    const localPart = email !== undefined && at > 0 ? email.slice(0, at) : undefined;
    return same(email) || same(username) || same(localPart);
  }
}
