import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { platformFixture } from '../specs/fixtures.ts';
import { viewOf } from '../specs/platform-view.ts';
import { computeStatus, podFailure } from './observe.ts';

const pod = (component: string, status: NonNullable<V1Pod['status']>): V1Pod => ({
  metadata: { name: `girok-${component}-abc`, labels: { 'app.kubernetes.io/name': component } },
  status,
});

const crashing = (message: string): NonNullable<V1Pod['status']> => ({
  containerStatuses: [
    {
      name: 'identity',
      image: 'i',
      imageID: '',
      ready: false,
      restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
      lastState: { terminated: { exitCode: 2, message } },
    },
  ],
});

describe('a component that cannot start', () => {
  it('is named with the first line of what its container left', () => {
    expect(
      podFailure([
        pod(
          'identity',
          crashing('\nidentity-service: Invalid configuration: IDENTITY_KEY_RING is required\nmore'),
        ),
      ]),
    ).toBe('CrashLoopBackOff: identity-service: Invalid configuration: IDENTITY_KEY_RING is required');
  });

  it('says why a container could not be created, e.g. a missing Secret', () => {
    const status: NonNullable<V1Pod['status']> = {
      containerStatuses: [
        {
          name: 'auth',
          image: 'a',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: {
            waiting: { reason: 'CreateContainerConfigError', message: 'secret "girok-valkey" not found' },
          },
        },
      ],
    };
    expect(podFailure([pod('auth', status)])).toBe(
      'CreateContainerConfigError: secret "girok-valkey" not found',
    );
  });

  it('is not a component still starting or running', () => {
    const starting: NonNullable<V1Pod['status']> = {
      containerStatuses: [
        {
          name: 'legal',
          image: 'l',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    };
    expect(podFailure([pod('legal', starting), pod('legal', { phase: 'Running' })])).toBeUndefined();
  });

  it('shows in the platform’s status as ComponentFailing and keeps it from Ready', () => {
    const view = viewOf(platformFixture());
    const deployments = new Map<string, V1Deployment | undefined>(
      view.components.map((c) => [c.objectName, undefined]),
    );
    const failing = computeStatus(view, {
      deployments,
      applyErrors: [],
      secrets: [],
      pods: [
        pod('identity', crashing('identity-service: Invalid configuration: IDENTITY_KEY_RING is required')),
      ],
    });
    expect(failing.conditions.ComponentFailing).toEqual({
      status: 'True',
      reason: 'ContainersFailing',
      message:
        'identity: CrashLoopBackOff: identity-service: Invalid configuration: IDENTITY_KEY_RING is required',
    });
    expect(failing.conditions.Ready.message).toMatch(/^identity: CrashLoopBackOff/);
    expect(failing.conditions.Degraded.status).toBe('True');
    const quiet = computeStatus(view, { deployments, applyErrors: [], secrets: [], pods: [] });
    expect(quiet.conditions.ComponentFailing.status).toBe('False');
  });

  it('names a missing Secret in Ready before the container that fails for want of it', () => {
    const view = viewOf(platformFixture());
    const missing = 'Secret girok-dev/girok-valkey, needed by auth-bff, identity, does not exist';
    const status = computeStatus(view, {
      deployments: new Map(view.components.map((c) => [c.objectName, undefined])),
      applyErrors: [],
      secrets: [{ reason: 'SecretMissing', message: missing }],
      pods: [pod('identity', crashing('secret "girok-valkey" not found'))],
    });
    expect(status.conditions.SecretsReady).toEqual({
      status: 'False',
      reason: 'SecretMissing',
      message: missing,
    });
    expect(status.conditions.Ready.message).toBe(missing);
    expect(status.conditions.ComponentFailing.status).toBe('True');
  });
});
