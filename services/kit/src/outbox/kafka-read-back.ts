import type { IHeaders, Kafka } from 'kafkajs';
import { isUuid, uuidv7 } from '../ids/uuidv7.ts';
import type { Logger } from '../logging/logger.ts';
import { CE_ID_HEADER } from './cloud-event.ts';

export interface ReadBackRange {
  readonly topic: string;
  /** Epoch ms; the read starts at each partition's first record with a timestamp at or after it. */
  readonly fromTimestamp: number;
}

export interface ReadBackOptions {
  readonly timeoutMs: number;
  readonly logger: Logger;
}

interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: string;
  /** High watermark when the read began: everything below it is committed and readable. */
  readonly until: bigint;
}

/**
 * Reads the given topics back from Kafka and hands every event id (`ce_id` header) found to
 * `onIds`, batch by batch. Each partition is read from the first record at or after the range's
 * timestamp up to the high watermark taken before reading, so records that a relay got acked but
 * never recorded are all seen; records produced later are not its concern.
 *
 * kafkajs has no manual partition assignment, so the read goes through a consumer group of its
 * own, which commits nothing and is deleted afterwards.
 */
export async function readBackEventIds(
  kafka: Kafka,
  ranges: readonly ReadBackRange[],
  onIds: (ids: string[]) => Promise<void>,
  options: ReadBackOptions,
): Promise<{ readonly records: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const targets = await partitionRanges(admin, ranges);
    if (targets.length === 0) return { records: 0 };
    const groupId = `girok-outbox-read-back-${uuidv7()}`;
    try {
      return await consume(kafka, groupId, targets, onIds, options.timeoutMs);
    } finally {
      await admin.deleteGroups([groupId]).catch((err: unknown) => {
        // Harmless leftover: an empty group with no offsets, which the broker expires on its own.
        options.logger.warn({ err, groupId }, 'could not delete the outbox read-back consumer group');
      });
    }
  } finally {
    await admin.disconnect();
  }
}

async function partitionRanges(
  admin: ReturnType<Kafka['admin']>,
  ranges: readonly ReadBackRange[],
): Promise<PartitionRange[]> {
  // Nothing can have been published to a topic that does not exist (auto-creation is off), and
  // asking for its offsets would fail the whole recovery.
  const existing = new Set(await admin.listTopics());
  const targets: PartitionRange[] = [];
  for (const { topic, fromTimestamp } of ranges) {
    if (!existing.has(topic)) continue;
    // Start offsets first, then high watermarks: a start is never above the high it is paired with.
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, fromTimestamp);
    const highs = await admin.fetchTopicOffsets(topic);
    for (const { partition, offset } of starts) {
      const high = highs.find((h) => h.partition === partition)?.high;
      if (high !== undefined && BigInt(offset) < BigInt(high)) {
        targets.push({ topic, partition, from: offset, until: BigInt(high) });
      }
    }
  }
  return targets;
}

async function consume(
  kafka: Kafka,
  groupId: string,
  targets: readonly PartitionRange[],
  onIds: (ids: string[]) => Promise<void>,
  timeoutMs: number,
): Promise<{ readonly records: number }> {
  const byPartition = new Map(targets.map((t) => [`${t.topic}:${t.partition}`, t]));
  const unfinished = new Set(byPartition.keys());
  const finished = Promise.withResolvers<void>();
  // Rejections can land before the promise is awaited below; without a handler, Node would treat
  // them as unhandled and end the process.
  finished.promise.catch(() => {});
  let records = 0;

  // Uncommitted too: another producer's open transaction on a shared topic holds back the last
  // stable offset, and a read-committed read could then never reach the high watermark.
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: true,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  });
  // Progress comes from the batch events rather than from messages, because a range can end in
  // records a consumer never sees (transaction markers of other producers).
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = `${payload.topic}:${payload.partition}`;
    const target = byPartition.get(key);
    if (target !== undefined && BigInt(payload.lastOffset) >= target.until - 1n) {
      unfinished.delete(key);
      if (unfinished.size === 0) finished.resolve();
    }
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => finished.reject(payload.error));

  const timer = setTimeout(
    () => finished.reject(new Error(`reading the outbox topics back took longer than ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(targets.map((t) => t.topic))], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const target = byPartition.get(`${batch.topic}:${batch.partition}`);
        if (target === undefined) return;
        const ids: string[] = [];
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= target.until) break;
          records += 1;
          const id = headerText(message.headers, CE_ID_HEADER);
          // Other producers share some topics (audit.event.v1); ignore what cannot be one of ours.
          if (id !== undefined && isUuid(id)) ids.push(id);
        }
        if (ids.length === 0) return;
        try {
          await onIds(ids);
        } catch (err) {
          // Fail the read now rather than let kafkajs retry the batch against a broken database.
          finished.reject(err);
          throw err;
        }
      },
    });
    for (const { topic, partition, from } of targets) consumer.seek({ topic, partition, offset: from });
    await finished.promise;
    return { records };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
