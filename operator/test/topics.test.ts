import { Infra, infraEnv, loadInfraConfig, stderrProgress } from '@girok/e2e/infra';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  condition,
  kubectl,
  kubectlApply,
  operatorUnderTest,
  platform,
  readPlatform,
  suiteNamespace,
  until,
} from './support.ts';

describe('topics when the broker goes away and comes back', () => {
  const { ns, kc } = suiteNamespace('gpt');
  const infra = new Infra(loadInfraConfig(), stderrProgress());
  let op: ReturnType<typeof operatorUnderTest>;

  beforeAll(async () => {
    op = operatorUnderTest(kc);
    await op.controller.start();
  });

  afterAll(async () => {
    await op?.controller.stop();
    await infra.up(['kafka']);
  });

  it('reports TopicsReady=False and Degraded while Kafka is down, then recovers by itself', async () => {
    await kubectlApply(platform(ns, 'girok', { events: { brokers: infraEnv('KAFKA_BROKERS').split(',') } }));
    await until(
      'TopicsReady=True',
      async () => condition(await readPlatform(kc, ns, 'girok'), 'TopicsReady')?.status === 'True',
      90_000,
    );

    await infra.down(['kafka']);
    const degraded = await until(
      'Degraded=True',
      async () => {
        const p = await readPlatform(kc, ns, 'girok');
        return condition(p, 'Degraded')?.status === 'True' ? p : undefined;
      },
      60_000,
    );
    expect(condition(degraded, 'TopicsReady')).toMatchObject({
      status: 'False',
      reason: 'BrokerUnavailable',
    });
    expect(condition(degraded, 'Ready')?.status).toBe('False');

    // A fresh broker, with none of the topics: the operator creates them again without being asked.
    await infra.up(['kafka']);
    const recovered = await until(
      'TopicsReady=True again',
      async () => {
        const p = await readPlatform(kc, ns, 'girok');
        return condition(p, 'TopicsReady')?.status === 'True' && condition(p, 'Degraded')?.status === 'False'
          ? p
          : undefined;
      },
      90_000,
    );
    expect(recovered.status?.topics?.map((t) => t.name)).toContain('girok.audit.event.v1');
  });

  it('keeps topics when a platform is deleted, unless deleteTopicsOnDelete asks to remove them', async () => {
    const brokers = infraEnv('KAFKA_BROKERS').split(',');
    const keep = `keep-${ns}.v1`;
    const drop = `drop-${ns}.v1`;
    await kubectlApply(
      platform(ns, 'keeper', {
        environment: 'k1',
        events: { brokers, topics: [{ name: keep, partitions: 1 }] },
      }),
    );
    await kubectlApply(
      platform(ns, 'dropper', {
        environment: 'k2',
        events: { brokers, topics: [{ name: drop, partitions: 1 }], deleteTopicsOnDelete: true },
      }),
    );
    const topicNames = async () => {
      const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        return await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    };
    await until(
      'both topics',
      async () => {
        const names = await topicNames();
        return names.includes(`keeper.${keep}`) && names.includes(`dropper.${drop}`);
      },
      60_000,
    );
    await kubectl(
      '-n',
      ns,
      'delete',
      'girokplatform/keeper',
      'girokplatform/dropper',
      '--wait=true',
      '--timeout=60s',
    );
    // Kafka deletes topics asynchronously: the broker may list them for a moment after the call.
    const left = await until(
      'the dropper’s topics gone',
      async () => {
        const names = await topicNames();
        return names.some((name) => name.startsWith('dropper.')) ? undefined : names;
      },
      30_000,
    );
    // Each platform's topics carry its own prefix: removing the dropper's leaves the keeper's catalogue.
    expect(left).toContain(`keeper.${keep}`);
    expect(left).toContain('keeper.identity.account.v1');
    expect(left).not.toContain(`dropper.${drop}`);
    expect(left).not.toContain('dropper.identity.account.v1');
  });
});
