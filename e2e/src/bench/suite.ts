/** One benchmark suite: the servers it needs and the figures it measures (limits included). */
export interface BenchSuite {
  readonly needs: readonly string[];
  run(env: Record<string, string>, progress: (message: string) => void): Promise<Record<string, number>>;
}
