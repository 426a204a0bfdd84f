import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.ts';
import { OutageLog } from './outage-log.ts';

function capture() {
  const lines: { level: number; msg: string; downMs?: number; failedAttempts?: number }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', level: 'debug' }, stream) };
}

const WARN = 40;
const INFO = 30;

describe('OutageLog', () => {
  it('warns once when an outage starts and informs once when it ends', async () => {
    const { lines, logger } = capture();
    let now = 1000;
    const outage = new OutageLog(logger, 'Kafka', () => now);
    outage.succeeded();
    for (let i = 0; i < 5; i += 1) outage.failed(new Error('ECONNREFUSED'), 'sending');
    now = 4000;
    outage.succeeded();
    outage.succeeded();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((l) => l.level === WARN)).toHaveLength(1);
    expect(lines.filter((l) => l.level === INFO)).toEqual([
      expect.objectContaining({ msg: 'Kafka working again', downMs: 3000, failedAttempts: 5 }),
    ]);
  });

  it('warns again for a second, separate outage', async () => {
    const { lines, logger } = capture();
    const outage = new OutageLog(logger, 'Kafka');
    outage.failed(new Error('down'), 'sending');
    outage.succeeded();
    outage.failed(new Error('down again'), 'sending');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((l) => l.level === WARN)).toHaveLength(2);
    expect(outage.down).toBe(true);
  });
});
