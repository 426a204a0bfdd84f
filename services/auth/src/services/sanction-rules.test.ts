import { type DomainError, Violations } from '@girok/kit/errors';
import { describe, expect, it } from 'vitest';
import { banMessage, checkNewSanction, isBan, type NewSanction } from './sanction-rules.ts';

const now = new Date('2026-11-25T12:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

function fields(input: Partial<NewSanction>): string[] {
  const v = new Violations();
  checkNewSanction(
    { type: 'WARNING', reason: 'spam', features: [], startsAt: now, endsAt: undefined, ...input },
    now,
    v,
  );
  try {
    v.throwIfAny();
    return [];
  } catch (error) {
    return (error as DomainError).fieldViolations.map((f) => f.field);
  }
}

describe('sanction rules', () => {
  it('a warning needs only a reason; its end is optional but must be in the future', () => {
    expect(fields({})).toEqual([]);
    expect(fields({ endsAt: later(60_000) })).toEqual([]);
    expect(fields({ endsAt: later(-1) })).toEqual(['ends_at']);
    expect(fields({ reason: '  ' })).toEqual(['reason']);
    expect(fields({ reason: 'x'.repeat(501) })).toEqual(['reason']);
  });

  it('a temporary ban needs an end in the future, after its start', () => {
    expect(fields({ type: 'TEMPORARY_BAN', endsAt: later(3_600_000) })).toEqual([]);
    expect(fields({ type: 'TEMPORARY_BAN' })).toEqual(['ends_at']);
    expect(fields({ type: 'TEMPORARY_BAN', endsAt: now })).toEqual(['ends_at']);
    expect(fields({ type: 'TEMPORARY_BAN', startsAt: later(7_200_000), endsAt: later(3_600_000) })).toEqual([
      'ends_at',
    ]);
  });

  it('a permanent ban may not have an end', () => {
    expect(fields({ type: 'PERMANENT_BAN' })).toEqual([]);
    expect(fields({ type: 'PERMANENT_BAN', endsAt: later(60_000) })).toEqual(['ends_at']);
  });

  it('a feature restriction lists at least one valid permission pattern; nothing else lists any', () => {
    expect(fields({ type: 'FEATURE_RESTRICTION', features: ['chat:send', 'feed:*'] })).toEqual([]);
    expect(fields({ type: 'FEATURE_RESTRICTION', features: [] })).toEqual(['features']);
    expect(fields({ type: 'FEATURE_RESTRICTION', features: ['chat:send', 'Chat Send'] })).toEqual([
      'features[1]',
    ]);
    expect(fields({ type: 'WARNING', features: ['chat:send'] })).toEqual(['features']);
    expect(fields({ type: 'PERMANENT_BAN', features: ['chat:send'] })).toEqual(['features']);
  });

  it('an unknown type is named, and every broken rule is reported at once', () => {
    expect(fields({ type: undefined, reason: '', features: ['chat:send'] })).toEqual([
      'type',
      'reason',
      'features',
    ]);
  });

  it('returns the features de-duplicated and sorted', () => {
    const v = new Violations();
    expect(
      checkNewSanction(
        {
          type: 'FEATURE_RESTRICTION',
          reason: 'r',
          features: ['feed:post', 'chat:send', 'feed:post'],
          startsAt: now,
          endsAt: undefined,
        },
        now,
        v,
      ),
    ).toEqual(['chat:send', 'feed:post']);
  });

  it('only the two bans are bans', () => {
    expect(isBan('TEMPORARY_BAN')).toBe(true);
    expect(isBan('PERMANENT_BAN')).toBe(true);
    expect(isBan('WARNING')).toBe(false);
    expect(isBan('FEATURE_RESTRICTION')).toBe(false);
  });

  it('the ban message says until when for a temporary ban', () => {
    expect(banMessage({ type: 'TEMPORARY_BAN', endsAt: later(3_600_000) })).toBe(
      'The account is banned until 2026-11-25T13:00:00.000Z',
    );
    expect(banMessage({ type: 'PERMANENT_BAN', endsAt: null })).toBe('The account is permanently banned');
  });
});
