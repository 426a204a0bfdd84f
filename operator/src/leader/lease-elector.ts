import {
  ApiException,
  CoordinationV1Api,
  type KubeConfig,
  type V1Lease,
  V1MicroTime,
} from '@kubernetes/client-node';

/**
 * Lease times are MicroTime (`2006-01-02T15:04:05.000000Z`); a plain Date would go out with
 * milliseconds, which the API server refuses. Times read back come as plain Dates: convert them too.
 */
const micro = (t: Date | undefined) => (t === undefined ? undefined : new V1MicroTime(t));

const withMicroTimes = (spec: NonNullable<V1Lease['spec']>): NonNullable<V1Lease['spec']> => {
  const { acquireTime, renewTime, ...rest } = spec;
  const a = micro(acquireTime);
  const r = micro(renewTime);
  return { ...rest, ...(a ? { acquireTime: a } : {}), ...(r ? { renewTime: r } : {}) };
};

export interface LeaseElectorOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly onStartedLeading: () => void;
  /** Called once when a held lease is lost (the process should stop working at once). */
  readonly onStoppedLeading: () => void;
  readonly log: (message: string) => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-go's algorithm): the holder renews it
 * every third of its duration; another candidate takes it over only after it saw no renewal for a
 * whole duration by its own clock, so clock skew between nodes does not matter.
 */
export class LeaseElector {
  private readonly o: LeaseElectorOptions;
  private readonly api: CoordinationV1Api;
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  /** The last record seen and when (by our clock) it last changed. */
  private observed?: { key: string; at: number };

  constructor(options: LeaseElectorOptions) {
    this.o = options;
    this.api = options.kc.makeApiClient(CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning; a leader gives the lease up so a standby takes over without waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity === this.o.identity) {
        lease.spec = withMicroTimes({ ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 });
        await this.api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: lease,
        });
      }
    } catch {
      // the lease expires by itself
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let held = false;
    try {
      held = await this.tryAcquireOrRenew();
    } catch (e) {
      this.o.log(`lease ${this.o.namespace}/${this.o.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const now = Date.now();
    if (held) this.renewedAt = now;
    if (held && !this.leading) {
      this.leading = true;
      this.o.onStartedLeading();
    } else if (!held && this.leading && now - this.renewedAt > this.o.leaseDurationMs * 0.66) {
      this.leading = false;
      this.o.onStoppedLeading();
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.o.leaseDurationMs / 3);
      this.timer.unref();
    }
  }

  private renewedAt = 0;

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.o;
    const now = new Date();
    const seconds = Math.ceil(this.o.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 404)) throw e;
      await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: withMicroTimes({
            holderIdentity: identity,
            leaseDurationSeconds: seconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          }),
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity}|${String(spec.renewTime)}`;
    if (this.observed?.key !== key) this.observed = { key, at: Date.now() };
    const mine = spec.holderIdentity === identity;
    const durationMs = (spec.leaseDurationSeconds ?? seconds) * 1000;
    const free = !spec.holderIdentity || Date.now() - this.observed.at > durationMs;
    if (!mine && !free) return false;
    lease.spec = withMicroTimes({
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: seconds,
      renewTime: now,
      ...(mine ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    });
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (e) {
      if (e instanceof ApiException && e.code === 409) return false; // someone else won the race
      throw e;
    }
  }
}
