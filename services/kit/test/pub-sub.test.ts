import { randomUUID } from 'node:crypto';
import { Valkey } from 'iovalkey';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { PubSub } from '../src/cache/index.ts';
import { MemoryPubSub, ValkeyPubSub } from '../src/cache/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with what it waited for. */
async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A handler that records what it receives. */
function inbox() {
  const messages: string[] = [];
  return { messages, handler: (message: string) => void messages.push(message) };
}

const valkeyUrl = () => inject('infraEnv').VALKEY_URL ?? '';

const valkey = (channelPrefix: string, connectionName?: string) =>
  new ValkeyPubSub({
    url: valkeyUrl(),
    channelPrefix,
    ...(connectionName === undefined ? {} : { connectionName }),
  });

/** One contract, two adapters: local mode's MemoryPubSub must behave as Valkey does. */
const adapters: [string, () => PubSub][] = [
  ['ValkeyPubSub on real Valkey', () => valkey(`pubsub-test-${randomUUID()}:`)],
  ['MemoryPubSub', () => new MemoryPubSub()],
];

describe.each(adapters)('PubSub contract: %s', (_name, make) => {
  const bus = make();
  afterAll(() => bus.close());

  it('delivers each message to every subscriber of the channel, including one handler subscribed twice', async () => {
    const a = inbox();
    const b = inbox();
    await bus.subscribe('fan-out', a.handler);
    await bus.subscribe('fan-out', b.handler);
    await bus.subscribe('fan-out', b.handler);
    await bus.publish('fan-out', 'hello');
    await until('both subscribers', () => a.messages.length === 1 && b.messages.length === 2);
    expect(a.messages).toEqual(['hello']);
    expect(b.messages).toEqual(['hello', 'hello']);
  });

  it('keeps channels apart', async () => {
    const red = inbox();
    const blue = inbox();
    await bus.subscribe('red', red.handler);
    await bus.subscribe('blue', blue.handler);
    await bus.publish('red', 'r1');
    await bus.publish('blue', 'b1');
    await bus.publish('red', 'r2');
    await until('both channels', () => red.messages.length === 2 && blue.messages.length === 1);
    await sleep(50); // nothing else trickles in
    expect(red.messages).toEqual(['r1', 'r2']);
    expect(blue.messages).toEqual(['b1']);
  });

  it('stops delivering to a subscriber that unsubscribed, and only to it', async () => {
    const leaving = inbox();
    const staying = inbox();
    const unsubscribe = await bus.subscribe('leave', leaving.handler);
    await bus.subscribe('leave', staying.handler);
    await bus.publish('leave', 'before');
    await until('the first message', () => leaving.messages.length === 1 && staying.messages.length === 1);

    await unsubscribe();
    await unsubscribe(); // a second call is harmless
    await bus.publish('leave', 'after');
    await until('the second message', () => staying.messages.length === 2);
    await sleep(50);
    expect(leaving.messages).toEqual(['before']);
    expect(staying.messages).toEqual(['before', 'after']);
  });

  it('stops delivering on a channel whose last subscriber left, and resumes when someone subscribes again', async () => {
    const first = inbox();
    const unsubscribe = await bus.subscribe('empty', first.handler);
    await unsubscribe();
    await bus.publish('empty', 'to nobody');
    const second = inbox();
    await bus.subscribe('empty', second.handler);
    await bus.publish('empty', 'to the newcomer');
    await until('the newcomer', () => second.messages.length === 1);
    await sleep(50);
    expect(first.messages).toEqual([]);
    expect(second.messages).toEqual(['to the newcomer']);
  });

  it('delivers 1,000 messages in publish order', async () => {
    const { messages, handler } = inbox();
    await bus.subscribe('ordered', handler);
    const sent = Array.from({ length: 1000 }, (_, i) => `m-${i}`);
    await Promise.all(sent.map((message) => bus.publish('ordered', message)));
    await until('1,000 messages', () => messages.length === 1000, 10_000);
    expect(messages).toEqual(sent);
  });

  it('keeps delivering to the other handlers when one throws', async () => {
    const after = inbox();
    await bus.subscribe('throws', () => {
      throw new Error('handler bug');
    });
    await bus.subscribe('throws', async () => {
      throw new Error('async handler bug');
    });
    await bus.subscribe('throws', after.handler);
    await bus.publish('throws', 'one');
    await bus.publish('throws', 'two');
    await until('both messages', () => after.messages.length === 2);
    expect(after.messages).toEqual(['one', 'two']);
  });

  it('refuses to publish or subscribe once closed', async () => {
    const closed = make();
    await closed.close();
    await expect(closed.publish('x', 'y')).rejects.toThrow(/closed/);
    await expect(closed.subscribe('x', () => {})).rejects.toThrow(/closed/);
  });
});

describe('ValkeyPubSub across instances (as across processes)', () => {
  const opened: PubSub[] = [];
  const admin = new Valkey(valkeyUrl());
  const open = (prefix: string, connectionName?: string) => {
    const bus = valkey(prefix, connectionName);
    opened.push(bus);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((bus) => bus.close()));
  });
  afterAll(() => admin.quit());

  it('delivers a message published by one instance to subscribers in two others', async () => {
    const prefix = `pubsub-test-${randomUUID()}:`;
    const [one, two, publisher] = [open(prefix), open(prefix), open(prefix)];
    const a = inbox();
    const b = inbox();
    await one.subscribe('shared', a.handler);
    await two.subscribe('shared', b.handler);
    await publisher.publish('shared', 'to all replicas');
    await until('both replicas', () => a.messages.length === 1 && b.messages.length === 1);
    expect([a.messages, b.messages]).toEqual([['to all replicas'], ['to all replicas']]);
  });

  it('keeps instances with different channel prefixes apart on one channel name', async () => {
    const auth = open(`pubsub-test-${randomUUID()}:`);
    const other = open(`pubsub-test-${randomUUID()}:`);
    const heardByAuth = inbox();
    const heardByOther = inbox();
    await auth.subscribe('sessions', heardByAuth.handler);
    await other.subscribe('sessions', heardByOther.handler);
    await auth.publish('sessions', 'auth only');
    await other.publish('sessions', 'other only');
    await until(
      'each its own',
      () => heardByAuth.messages.length === 1 && heardByOther.messages.length === 1,
    );
    await sleep(50);
    expect(heardByAuth.messages).toEqual(['auth only']);
    expect(heardByOther.messages).toEqual(['other only']);
  });

  it('resubscribes after its subscriber connection is killed and receives later messages', async () => {
    const prefix = `pubsub-test-${randomUUID()}:`;
    const name = `pubsub-test-${randomUUID().slice(0, 8)}`;
    const subscriber = open(prefix, name);
    const publisher = open(prefix);
    const { messages, handler } = inbox();
    await subscriber.subscribe('survives', handler);
    await publisher.publish('survives', 'before');
    await until('the first message', () => messages.length === 1);

    // Only this test's subscriber: a server-wide kill would hit suites running beside this one.
    const id = await clientId(admin, `${name}:sub`);
    expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'ID', id)).toBe(1);

    // Messages published while it reconnects are lost (pub/sub keeps nothing): publish until one lands.
    let n = 0;
    const deadline = Date.now() + 10_000;
    while (!messages.some((m) => m.startsWith('after-'))) {
      if (Date.now() > deadline) throw new Error('no message arrived after the connection was killed');
      await publisher.publish('survives', `after-${n++}`);
      await sleep(50);
    }
    expect(await clientId(admin, `${name}:sub`)).not.toBe(id);
    expect(messages[0]).toBe('before');
  });
});

/** The id of the connection with this name, per CLIENT LIST. */
async function clientId(admin: Valkey, name: string): Promise<string> {
  const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  const id = line?.match(/^id=(\d+) /)?.[1];
  if (id === undefined) throw new Error(`no pubsub connection named ${name}`);
  return id;
}
