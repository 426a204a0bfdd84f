/** Progress of long infra work: what is happening and for how long, on stderr. */
export interface Progress {
  info(message: string): void;
  /** Runs one step, announcing it, ticking while it runs, and reporting how long it took. */
  step<T>(what: string, work: () => Promise<T>): Promise<T>;
}

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

export function streamProgress(write: (line: string) => void, tickMs = 20_000): Progress {
  return {
    info: (message) => write(`[infra] ${message}`),
    async step(what, work) {
      const started = Date.now();
      write(`[infra] ${what} ...`);
      const ticker = setInterval(
        () => write(`[infra]   still ${what} (${formatElapsed(Date.now() - started)})`),
        tickMs,
      );
      ticker.unref();
      try {
        const result = await work();
        write(`[infra] ${what}: done in ${formatElapsed(Date.now() - started)}`);
        return result;
      } catch (error) {
        write(`[infra] ${what}: FAILED after ${formatElapsed(Date.now() - started)}`);
        throw error;
      } finally {
        clearInterval(ticker);
      }
    },
  };
}

export const stderrProgress = (): Progress => streamProgress((line) => process.stderr.write(`${line}\n`));
