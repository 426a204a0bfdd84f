// ClickHouse 18.16 has no server-side query parameters (`{name:Type}` came in 19.x, ADR 0003), so
// read filters are bound here, as literals, by the only functions allowed to put a value into SQL
// text. Every value passes through one of them; nothing is concatenated raw.

/**
 * A ClickHouse string literal. Inside single quotes the server reads backslash escapes, so the
 * backslash and the quote are escaped, and every control character (which could end a line of a
 * log or confuse a proxy) is written as `\xHH`. Anything else, multi-byte UTF-8 included, stands
 * for itself. A lone UTF-16 surrogate cannot be sent as UTF-8 at all, so it is refused.
 */
export function sqlString(value: string): string {
  if (!value.isWellFormed()) throw new TypeError('not a well-formed Unicode string');
  let out = "'";
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}'`;
}

/** `('a', 'b')` for `IN`; an empty list is a caller bug (ClickHouse refuses `IN ()`). */
export function sqlStringList(values: readonly string[]): string {
  if (values.length === 0) throw new TypeError('an IN list needs at least one value');
  return `(${values.map(sqlString).join(', ')})`;
}

/** A non-negative integer literal (timestamps, limits); anything else is a caller bug. */
export function sqlUInt(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`not a non-negative integer: ${value}`);
  return String(value);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A database or table name: only plain identifiers are accepted, so they need no quoting. */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`not a plain identifier: ${JSON.stringify(name)}`);
  return name;
}
