import { describe, expect, it } from 'vitest';
import { sqlIdentifier, sqlString, sqlStringList, sqlUInt } from './clickhouse-sql.ts';

describe('sqlString', () => {
  it('quotes plain text as it is', () => {
    expect(sqlString('account.login')).toBe("'account.login'");
    expect(sqlString('')).toBe("''");
  });

  it('escapes the quote and the backslash, so a value can never end the literal', () => {
    expect(sqlString("x' OR 1=1 --")).toBe("'x\\' OR 1=1 --'");
    expect(sqlString('a\\')).toBe("'a\\\\'");
    // A backslash before a quote must not turn the escaped quote back into a closing one.
    expect(sqlString("\\'")).toBe("'\\\\\\''");
  });

  it('writes control characters as \\xHH and keeps multi-byte text', () => {
    expect(sqlString('a\nb\r\t\0\x7f')).toBe("'a\\x0ab\\x0d\\x09\\x00\\x7f'");
    expect(sqlString('é日本🎉')).toBe("'é日本🎉'");
  });

  it('refuses a lone surrogate, which has no UTF-8 form', () => {
    expect(() => sqlString('a\ud800b')).toThrow(TypeError);
  });

  it('leaves no unescaped quote in any output', () => {
    for (const value of ["'", "''", "\\'", "\\\\'", "a'b\\'c", "'; DROP TABLE x; --"]) {
      const body = sqlString(value).slice(1, -1);
      // Every quote inside is preceded by an odd number of backslashes.
      for (const match of body.matchAll(/(\\*)'/g)) expect((match[1] ?? '').length % 2).toBe(1);
    }
  });
});

describe('other literals', () => {
  it('lists strings for IN and refuses an empty list', () => {
    expect(sqlStringList(['a', "b'"])).toBe("('a', 'b\\'')");
    expect(() => sqlStringList([])).toThrow(TypeError);
  });

  it('accepts only non-negative safe integers', () => {
    expect(sqlUInt(0)).toBe('0');
    expect(sqlUInt(1_700_000_000_000)).toBe('1700000000000');
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) expect(() => sqlUInt(bad)).toThrow(TypeError);
  });

  it('accepts only plain identifiers', () => {
    expect(sqlIdentifier('audit_2')).toBe('audit_2');
    for (const bad of ['', '1a', 'a-b', 'a.b', 'a b', 'a;drop', '`a`'])
      expect(() => sqlIdentifier(bad)).toThrow(TypeError);
  });
});
