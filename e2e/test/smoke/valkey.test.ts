import { randomUUID } from 'node:crypto';
import { Valkey } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEnv } from '../../src/infra/infra-env.ts';

describe('Valkey through iovalkey', () => {
  let client: Valkey;
  let subscriber: Valkey;
  const prefix = `smoke:${randomUUID()}`;

  beforeAll(() => {
    client = new Valkey(infraEnv('VALKEY_URL'));
    subscriber = new Valkey(infraEnv('VALKEY_URL'));
  });

  afterAll(async () => {
    await client?.quit();
    await subscriber?.quit();
  });

  it('is Valkey 8', async () => {
    const info = await client.info('server');
    expect(info).toMatch(/^valkey_version:8\./m);
  });

  it('sets, reads and expires a key', async () => {
    await client.set(`${prefix}:challenge`, 'pending', 'PX', 300);
    expect(await client.get(`${prefix}:challenge`)).toBe('pending');
    const ttl = await client.pttl(`${prefix}:challenge`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    await new Promise((r) => setTimeout(r, 400));
    expect(await client.get(`${prefix}:challenge`)).toBeNull();
  });

  it('delivers a published message to a subscriber', async () => {
    const channel = `${prefix}:sessions`;
    await subscriber.subscribe(channel);
    const received = new Promise<[string, string]>((resolve) =>
      subscriber.once('message', (ch: string, message: string) => resolve([ch, message])),
    );
    const receivers = await client.publish(channel, '{"type":"session.revoked"}');
    expect(receivers).toBe(1);
    expect(await received).toEqual([channel, '{"type":"session.revoked"}']);
  });
});
