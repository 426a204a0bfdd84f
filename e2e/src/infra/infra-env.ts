import { inject } from 'vitest';
import './vitest-setup.ts';

/** A connection setting the infra global setup provided; fails the test loudly when it is missing. */
export function infraEnv(name: string): string {
  const value = inject('infraEnv')[name];
  if (!value) throw new Error(`the infra global setup provided no ${name}`);
  return value;
}
