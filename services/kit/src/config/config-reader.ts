/** A configuration problem, naming every bad variable at once (values are never echoed). */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Source = Readonly<Record<string, string | undefined>>;

/**
 * Reads environment variables into typed values, collecting problems instead of failing on the
 * first, so start-up reports every bad variable by name. Each service's `config.ts` uses one
 * reader, then calls `done()`.
 */
export class ConfigReader {
  readonly #source: Source;
  readonly #problems: string[] = [];

  constructor(source: Source) {
    this.#source = source;
  }

  #raw(name: string): string | undefined {
    const value = this.#source[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback?: string): string {
    const value = this.#raw(name) ?? fallback;
    if (value === undefined) {
      this.#problems.push(`${name} is required`);
      return '';
    }
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.#raw(name);
  }

  /** A secret: required, and never part of an error message. */
  secret(name: string, fallback?: string): string {
    return this.string(name, fallback);
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.#problems.push(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    this.#problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.#problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const raw = this.#raw(name);
    if (raw === undefined) return [...fallback];
    return raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
  }

  /** Records a problem found by the caller's own check (e.g. a key ring that does not parse). */
  problem(message: string): void {
    this.#problems.push(message);
  }

  /** Throws one ConfigError listing every problem; call after reading everything. */
  done(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}
