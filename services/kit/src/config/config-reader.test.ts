import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigReader } from './config-reader.ts';

describe('ConfigReader', () => {
  it('reads typed values and falls back to defaults', () => {
    const reader = new ConfigReader({ PORT: '3000', DEBUG: 'yes', HOSTS: 'a, b,,c' });
    expect(reader.int('PORT', 1)).toBe(3000);
    expect(reader.int('MISSING', 7)).toBe(7);
    expect(reader.bool('DEBUG', false)).toBe(true);
    expect(reader.list('HOSTS', [])).toEqual(['a', 'b', 'c']);
    expect(() => reader.done()).not.toThrow();
  });

  it('reports every bad variable by name in one error, without echoing secrets', () => {
    const reader = new ConfigReader({ PORT: 'eighty', LEVEL: 'loud', KEY: '' });
    reader.int('PORT', 3000, { min: 1, max: 65535 });
    reader.oneOf('LEVEL', ['info', 'debug'], 'info');
    reader.secret('KEY');
    const error = (() => {
      try {
        reader.done();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT must be an integer between 1 and 65535, got "eighty"',
      'LEVEL must be one of info, debug, got "loud"',
      'KEY is required',
    ]);
  });
});
