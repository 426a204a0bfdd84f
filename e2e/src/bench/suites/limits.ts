import { randomUUID } from 'node:crypto';
import { CoreV1Api, type KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { Kafka, logLevel } from 'kafkajs';

// The raw rates of the servers themselves, measured in the same run as a suite's figure, so each
// suite reports how close it gets to what the server allows (its ratio) rather than a bare number.

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Server-side applies of small ConfigMaps per second (distinct objects, `concurrency` in flight). */
export async function rawApplyRate(kc: KubeConfig, count = 300, concurrency = 8): Promise<number> {
  const namespace = `bench-apply-${randomUUID().slice(0, 8)}`;
  const core = kc.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  try {
    const started = performance.now();
    await pool(count, concurrency, async (i) => {
      await objects.patch(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}`, namespace },
          data: { index: String(i) },
        },
        undefined,
        undefined,
        'girok-bench',
        true,
        PatchStrategy.ServerSideApply,
      );
    });
    return count / ((performance.now() - started) / 1000);
  } finally {
    await core.deleteNamespace({ name: namespace }).catch(() => {});
  }
}

/** kafkajs messages (256 bytes, acks=all) produced per second in batches of `batch`. */
export async function rawProduceRate(brokers: string[], count = 20_000, batch = 500): Promise<number> {
  const kafka = new Kafka({ clientId: 'girok-bench', brokers, logLevel: logLevel.ERROR });
  const topic = `bench.produce.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const value = 'x'.repeat(256);
    const started = performance.now();
    for (let sent = 0; sent < count; sent += batch) {
      const messages = Array.from({ length: Math.min(batch, count - sent) }, (_, i) => ({
        key: String((sent + i) % 64),
        value,
      }));
      await producer.send({ topic, acks: -1, messages });
    }
    return count / ((performance.now() - started) / 1000);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

export interface Argon2idParams {
  readonly memoryKiB: number;
  readonly passes: number;
  readonly parallelism: number;
}

/**
 * argon2id hashes per second with Node's own `crypto.argon2` (the hasher identity-service uses),
 * `concurrency` in flight on the libuv pool, for `seconds`: the ceiling of any password login.
 */
export async function rawArgon2Rate(params: Argon2idParams, seconds = 5, concurrency = 4): Promise<number> {
  const { argon2, randomBytes } = await import('node:crypto');
  const hash = () =>
    new Promise<void>((resolve, reject) =>
      argon2(
        'argon2id',
        {
          message: 'Correct horse battery staple',
          nonce: randomBytes(16),
          parallelism: params.parallelism,
          tagLength: 32,
          memory: params.memoryKiB,
          passes: params.passes,
        },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await hash();
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}
