import type { ServerDef } from './server.ts';

/**
 * The servers to bring up for the names asked, dependencies first, in the registry's order.
 * Pure: no I/O, so it is unit-tested.
 */
export function planUp(
  names: readonly string[],
  defs: readonly ServerDef[],
  aliases: Readonly<Record<string, readonly string[]>>,
): ServerDef[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const wanted = new Set<string>();
  const visit = (name: string, path: readonly string[]) => {
    const def = byName.get(name);
    if (!def) throw new Error(`unknown server "${name}" (needed by ${path.join(' -> ')})`);
    if (path.includes(name)) throw new Error(`dependency cycle: ${[...path, name].join(' -> ')}`);
    if (wanted.has(name)) return;
    for (const need of def.needs) visit(need, [...path, name]);
    wanted.add(name);
  };
  for (const name of expandAliases(names, defs, aliases)) visit(name, []);
  const order = topologicalOrder(defs.filter((d) => wanted.has(d.name)));
  return order;
}

/** The servers named (aliases expanded, no dependencies added), in the reverse order they start. Nothing named, nothing stopped. */
export function planDown(
  names: readonly string[],
  defs: readonly ServerDef[],
  aliases: Readonly<Record<string, readonly string[]>>,
): ServerDef[] {
  const named = new Set(expandAliases(names, defs, aliases));
  return topologicalOrder(defs.filter((d) => named.has(d.name))).reverse();
}

export function expandAliases(
  names: readonly string[],
  defs: readonly ServerDef[],
  aliases: Readonly<Record<string, readonly string[]>>,
): string[] {
  const known = new Set(defs.map((d) => d.name));
  const out: string[] = [];
  for (const name of names) {
    const members = aliases[name] ?? [name];
    for (const member of members) {
      if (!known.has(member)) {
        const choices = [...known, ...Object.keys(aliases)].join(', ');
        throw new Error(`unknown server "${member}"; choose from: ${choices}`);
      }
      if (!out.includes(member)) out.push(member);
    }
  }
  return out;
}

/** Stable topological sort: a server comes after what it needs, otherwise in registry order. */
function topologicalOrder(defs: readonly ServerDef[]): ServerDef[] {
  const present = new Set(defs.map((d) => d.name));
  const done = new Set<string>();
  const out: ServerDef[] = [];
  while (out.length < defs.length) {
    const next = defs.find((d) => !done.has(d.name) && d.needs.every((n) => done.has(n) || !present.has(n)));
    if (!next)
      throw new Error(
        `dependency cycle among ${defs
          .filter((d) => !done.has(d.name))
          .map((d) => d.name)
          .join(', ')}`,
      );
    done.add(next.name);
    out.push(next);
  }
  return out;
}
