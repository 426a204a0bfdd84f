import type { Violations } from '@girok/kit/errors';

/**
 * Permission names are `resource:action` in lower snake case (`session:read_all`). A grant may be a
 * pattern: `resource:*` (every action on one resource) or `*` (everything).
 */
const PATTERN = /^[a-z][a-z0-9_]*:([a-z][a-z0-9_]*|\*)$/;
const CONCRETE = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;
const MAX_LENGTH = 128;

/** A name a role, an operator assignment or a feature restriction may hold. */
export function isPermissionPattern(value: string): boolean {
  return value === '*' || (value.length <= MAX_LENGTH && PATTERN.test(value));
}

/** A name a permission check may ask about: no wildcard. */
export function isConcretePermission(value: string): boolean {
  return value.length <= MAX_LENGTH && CONCRETE.test(value);
}

export function isWildcard(pattern: string): boolean {
  return pattern === '*' || pattern.endsWith(':*');
}

export { firstMatch, permissionMatches } from '@girok/kit/auth';

/**
 * Checks a list of permission patterns, naming each bad entry (`permissions[2]`): the syntax, and,
 * when a catalogue is given, that every concrete name is in it (wildcards need not be). Returns the
 * list de-duplicated and sorted, the form it is stored in.
 */
export function checkPermissionList(
  v: Violations,
  field: string,
  list: readonly string[],
  options: { readonly catalogue?: ReadonlySet<string>; readonly min: number; readonly max: number },
): string[] {
  v.check(
    list.length >= options.min && list.length <= options.max,
    field,
    options.min > 0
      ? `must hold ${options.min} to ${options.max} entries`
      : `must hold at most ${options.max} entries`,
  );
  for (const [index, name] of list.entries()) {
    if (!isPermissionPattern(name)) {
      v.add(`${field}[${index}]`, 'must be resource:action in lower snake case, resource:* or *');
    } else if (options.catalogue !== undefined && !isWildcard(name) && !options.catalogue.has(name)) {
      v.add(`${field}[${index}]`, `${name} is not a known permission (see ListPermissions)`);
    }
  }
  return [...new Set(list)].sort();
}
