import { MemoryPubSub, type PubSub } from '@girok/kit/cache';
import { createLogger } from '@girok/kit/logging';
import { describe, expect, it } from 'vitest';
import type { AuthClient } from '../tokens.ts';
import { LiveSessionHub, type SessionChange } from './live-session.hub.ts';

/** The in-memory pub/sub whose first subscribe fails, as Valkey timing out would. */
class FlakyPubSub extends MemoryPubSub implements PubSub {
  failures = 1;
  override subscribe(channel: string, handler: (message: string) => void) {
    if (this.failures-- > 0) return Promise.reject(new Error('Command timed out'));
    return super.subscribe(channel, handler);
  }
}

const logger = createLogger({ service: 'test', level: 'silent' });
const change = (accountId: string): SessionChange => ({
  type: 'session.created',
  accountId,
  sessionId: 's1',
  deviceId: null,
  occurredAt: new Date(0).toISOString(),
});
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 100 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 5));
};

describe('LiveSessionHub', () => {
  it('delivers an account’s changes to its watchers only, and stops after unsubscribe', async () => {
    const hub = new LiveSessionHub(new MemoryPubSub(logger), {} as AuthClient, logger);
    const seen: string[] = [];
    const stop = await hub.watchAccount('a', (c) => seen.push(c.accountId));
    await hub.watchAccount('b', (c) => seen.push(`other:${c.accountId}`));
    await hub.publish(change('a'));
    await until(() => seen.length > 0);
    expect(seen).toEqual(['a']);
    stop();
    await hub.publish(change('a'));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['a']);
  });

  it('forgets a failed subscription so the next watcher subscribes again', async () => {
    const hub = new LiveSessionHub(new FlakyPubSub(logger), {} as AuthClient, logger);
    await expect(hub.watchAccount('a', () => {})).rejects.toThrow('Command timed out');
    const seen: SessionChange[] = [];
    await hub.watchAccount('a', (c) => seen.push(c));
    await hub.publish(change('a'));
    await until(() => seen.length > 0);
    expect(seen).toHaveLength(1);
  });

  it('refuses the platform view without session:read_all', async () => {
    const auth = {
      checkPermission: async () => ({ decision: { allowed: false } }),
    } as unknown as AuthClient;
    const hub = new LiveSessionHub(new MemoryPubSub(logger), auth, logger);
    await expect(hub.watchPlatform('a', () => {})).rejects.toMatchObject({ kind: 'PERMISSION_DENIED' });
  });
});
