import { describe, expect, it } from 'vitest';
import { toChange } from './session-events.consumer.ts';

const event = (type: string, data: unknown) => ({
  id: 'e1',
  topic: 'identity.session.v1',
  key: 'acc-1',
  type,
  source: 'identity-service',
  subject: null,
  time: new Date('2026-11-26T00:00:00Z'),
  data,
});

describe('toChange', () => {
  it('maps a session event to the account, session and device it concerns', () => {
    expect(
      toChange(
        event('girok.identity.v1.session.revoked', {
          session: { id: 's1', accountId: 'acc-1', deviceId: 'd1' },
        }),
      ),
    ).toEqual({
      type: 'session.revoked',
      accountId: 'acc-1',
      sessionId: 's1',
      deviceId: 'd1',
      occurredAt: '2026-11-26T00:00:00.000Z',
    });
  });

  it('maps a device event with no session', () => {
    expect(
      toChange(event('girok.identity.v1.device.revoked', { device: { id: 'd1', accountId: 'acc-1' } })),
    ).toMatchObject({
      type: 'device.revoked',
      sessionId: null,
      deviceId: 'd1',
    });
  });

  it('ignores an event that names no account', () => {
    expect(toChange(event('girok.identity.v1.session.created', {}))).toBeUndefined();
    expect(toChange(event('girok.identity.v1.session.created', null))).toBeUndefined();
  });
});
