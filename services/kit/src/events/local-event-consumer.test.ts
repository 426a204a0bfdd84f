import { describe, expect, it } from 'vitest';
import { type EventRecord, InProcessBus } from './in-process-bus.ts';
import { LocalEventConsumer } from './local-event-consumer.ts';

const event = (id: string, topic: string): EventRecord => ({
  id,
  topic,
  key: 'acc-1',
  type: 'dev.girok.test.happened.v1',
  source: '/girok/test',
  subject: null,
  time: new Date('2026-01-01T00:00:00Z'),
  data: { id },
});

describe('LocalEventConsumer', () => {
  it('delivers the events of its topics, in publish order, and none of other topics', async () => {
    const bus = new InProcessBus();
    const consumer = new LocalEventConsumer({ bus, topics: ['a.v1', 'b.v1'] });
    const seen: string[] = [];
    await consumer.start((e) => {
      seen.push(`${e.topic}/${e.id}`);
    });
    await bus.publish([event('1', 'a.v1'), event('2', 'c.v1'), event('3', 'b.v1'), event('4', 'a.v1')]);
    expect(seen).toEqual(['a.v1/1', 'b.v1/3', 'a.v1/4']);
  });

  it('delivers nothing after stop, and can be started again', async () => {
    const bus = new InProcessBus();
    const consumer = new LocalEventConsumer({ bus, topics: ['a.v1'] });
    const seen: string[] = [];
    await consumer.start((e) => void seen.push(e.id));
    await consumer.stop();
    await bus.publish([event('1', 'a.v1')]);
    expect(seen).toEqual([]);
    await consumer.start((e) => void seen.push(e.id));
    await bus.publish([event('2', 'a.v1')]);
    expect(seen).toEqual(['2']);
  });

  it('refuses a second start while running', async () => {
    const consumer = new LocalEventConsumer({ bus: new InProcessBus(), topics: ['a.v1'] });
    await consumer.start(() => {});
    await expect(consumer.start(() => {})).rejects.toThrow(/already started/);
  });

  it('stop waits for the event being handled', async () => {
    const bus = new InProcessBus();
    const consumer = new LocalEventConsumer({ bus, topics: ['a.v1'] });
    let finished = false;
    let entered!: () => void;
    const handling = new Promise<void>((resolve) => {
      entered = resolve;
    });
    await consumer.start(async () => {
      entered();
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished = true;
    });
    const published = bus.publish([event('1', 'a.v1')]);
    await handling;
    await consumer.stop();
    expect(finished).toBe(true);
    await published;
  });

  it('keeps delivering after a handler failure, which the bus logs', async () => {
    const bus = new InProcessBus();
    const consumer = new LocalEventConsumer({ bus, topics: ['a.v1'] });
    const seen: string[] = [];
    await consumer.start((e) => {
      if (e.id === '1') throw new Error('downstream down');
      seen.push(e.id);
    });
    await bus.publish([event('1', 'a.v1'), event('2', 'a.v1')]);
    expect(seen).toEqual(['2']);
  });
});
