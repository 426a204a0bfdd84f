import fs from 'node:fs';
import path from 'node:path';
import type { InfraConfig } from './config.ts';
import { planDown, planUp } from './plan.ts';
import { isAlive, portInUse, readPid, sleep, stopProcessGroup, tailFile, waitForReady } from './proc.ts';
import type { Progress } from './progress.ts';
import { logFile, pidFile, type ServerContext, type ServerDef, serverDir } from './server.ts';
import { aliases as defaultAliases, servers as defaultServers } from './servers/index.ts';

export type ServerState = 'running' | 'unhealthy' | 'stopped' | 'external' | 'tool';

export interface ServerStatus {
  readonly name: string;
  readonly summary: string;
  readonly state: ServerState;
  readonly pid?: number;
  readonly env: Record<string, string>;
}

export interface UpResult {
  /** Connection settings of every server brought up (or found external). */
  readonly env: Record<string, string>;
  /** The servers this call started (not those already running or external). */
  readonly started: readonly string[];
}

/** Starts, reuses, inspects and stops the real backing servers on 127.0.0.1. */
export class Infra {
  readonly config: InfraConfig;
  private readonly ctx: ServerContext;
  private readonly defs: readonly ServerDef[];
  private readonly aliases: Readonly<Record<string, readonly string[]>>;

  constructor(
    config: InfraConfig,
    progress: Progress,
    defs: readonly ServerDef[] = defaultServers,
    aliases: Readonly<Record<string, readonly string[]>> = defaultAliases,
  ) {
    this.config = config;
    this.ctx = { config, progress };
    this.defs = defs;
    this.aliases = aliases;
  }

  async up(names: readonly string[]): Promise<UpResult> {
    const plan = planUp(names, this.defs, this.aliases);
    const env: Record<string, string> = {};
    const started: string[] = [];
    await this.withLock(async () => {
      for (const def of plan) {
        const external = this.external(def);
        if (external) {
          Object.assign(env, external);
          continue;
        }
        await def.install(this.ctx).catch((error: unknown) => {
          throw new Error(`${def.name}: installing failed: ${message(error)}`);
        });
        if (def.start && !(await this.isRunning(def))) {
          await this.start(def);
          started.push(def.name);
        }
        Object.assign(env, def.env(this.ctx));
      }
    });
    return { env, started };
  }

  /**
   * Starts stopped servers again on the data they had (chaos tests: a server that went away and
   * came back). Running ones are left alone; `up` is the one that starts from fresh data.
   */
  async resume(names: readonly string[]): Promise<string[]> {
    const resumed: string[] = [];
    await this.withLock(async () => {
      for (const def of planUp(names, this.defs, this.aliases)) {
        if (this.external(def) || !def.start || (await this.isRunning(def))) continue;
        await this.start(def, { keepData: true });
        resumed.push(def.name);
      }
    });
    return resumed;
  }

  /** Stops the named servers (`all` for every one) that the harness started; external ones are left alone. */
  async down(names: readonly string[]): Promise<string[]> {
    const stopped: string[] = [];
    for (const def of planDown(names, this.defs, this.aliases)) {
      const pid = readPid(pidFile(this.ctx, def.name));
      if (pid === undefined) continue;
      if (isAlive(pid)) {
        await this.ctx.progress.step(`stopping ${def.name} (pid ${pid})`, () =>
          stopProcessGroup(pid, undefined, def.stopSignal),
        );
        stopped.push(def.name);
      }
      const cleanup = def.cleanup;
      if (cleanup)
        await this.ctx.progress.step(`cleaning up after ${def.name}`, () => cleanup.call(def, this.ctx));
      fs.rmSync(pidFile(this.ctx, def.name), { force: true });
    }
    return stopped;
  }

  async status(names: readonly string[] = ['all']): Promise<ServerStatus[]> {
    const rows: ServerStatus[] = [];
    for (const def of planDown(names, this.defs, this.aliases).reverse()) {
      const base = { name: def.name, summary: def.summary };
      const external = this.external(def);
      if (external) rows.push({ ...base, state: 'external', env: external });
      else if (!def.start) rows.push({ ...base, state: 'tool', env: def.env(this.ctx) });
      else {
        const pid = readPid(pidFile(this.ctx, def.name));
        const alive = pid !== undefined && isAlive(pid);
        const state: ServerState = !alive
          ? 'stopped'
          : (await def.ready?.(this.ctx))
            ? 'running'
            : 'unhealthy';
        rows.push({
          ...base,
          state,
          ...(alive ? { pid } : {}),
          env: state === 'stopped' ? {} : def.env(this.ctx),
        });
      }
    }
    return rows;
  }

  private external(def: ServerDef): Record<string, string> | undefined {
    const value = def.externalVar && this.config.external[def.externalVar];
    return def.externalVar && value ? { [def.externalVar]: value } : undefined;
  }

  private async isRunning(def: ServerDef): Promise<boolean> {
    const pid = readPid(pidFile(this.ctx, def.name));
    if (pid === undefined || !isAlive(pid)) return false;
    if (await def.ready?.(this.ctx)) {
      this.ctx.progress.info(`${def.name} already running (pid ${pid})`);
      return true;
    }
    this.ctx.progress.info(`${def.name} (pid ${pid}) does not answer; restarting it`);
    await stopProcessGroup(pid);
    return false;
  }

  private async start(def: ServerDef, options: { keepData?: boolean } = {}): Promise<void> {
    const start = def.start;
    if (!start) return;
    for (const port of def.ports(this.ctx)) {
      if (await portInUse(port)) {
        const hint = def.externalVar ? `, or set ${def.externalVar} to use the server that holds it` : '';
        throw new Error(`${def.name}: port ${port} on 127.0.0.1 is taken by another process; stop it${hint}`);
      }
    }
    await def.cleanup?.(this.ctx);
    const dir = serverDir(this.ctx, def.name);
    if (!options.keepData) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    await this.ctx.progress.step(`starting ${def.name}`, async () => {
      let pid: number | undefined;
      try {
        pid = await start.call(def, this.ctx);
        const ready = def.ready;
        if (ready) await waitForReady(pid, () => ready.call(def, this.ctx), def.startTimeoutMs);
      } catch (error) {
        if (pid !== undefined && isAlive(pid)) await stopProcessGroup(pid, 2000);
        throw new Error(
          `${def.name} did not start: ${message(error)}\n  log: ${logFile(this.ctx, def.name)}\n--- last lines of the log ---\n${tailFile(logFile(this.ctx, def.name))}`,
        );
      }
    });
  }

  /** One harness at a time per run folder, so two suites starting together do not race. */
  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    fs.mkdirSync(this.config.runDir, { recursive: true, mode: 0o755 });
    fs.chmodSync(this.config.runDir, 0o755);
    const lock = path.join(this.config.runDir, '.lock');
    for (let announced = false; ; ) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch {
        const holder = readPid(lock);
        if (holder === undefined || !isAlive(holder)) {
          fs.rmSync(lock, { force: true });
          continue;
        }
        if (!announced) this.ctx.progress.info(`waiting for another harness (pid ${holder}) to finish`);
        announced = true;
        await sleep(500);
      }
    }
    try {
      return await work();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
