import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from './uuidv7.ts';

describe('uuidv7', () => {
  it('has version 7, the RFC variant and the timestamp in its first 48 bits', () => {
    const ms = Date.UTC(2026, 10, 25, 12, 0, 0);
    const id = uuidv7(ms + 1_000_000); // a later millisecond than any earlier call
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(ms + 1_000_000);
    expect(isUuid(id)).toBe(true);
  });

  it('sorts in creation order even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('rejects what is not a UUID', () => {
    expect(isUuid('not-a-uuid')).toBe(false);
    expect(isUuid("1' OR 1=1")).toBe(false);
  });
});
