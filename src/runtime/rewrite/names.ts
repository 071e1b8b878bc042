// Names for the values the rewrites make, never equal to a name the graph already uses.

import type { RewriteContext } from './context.js';

const taken = new WeakMap<RewriteContext, Set<string>>();

/** `base`, or `base#2`, `base#3`, ... : the first that no value of the graph (or earlier rewrite) has. */
export function freshName(ctx: RewriteContext, base: string): string {
  let names = taken.get(ctx);
  if (!names) {
    const g = ctx.graph;
    names = new Set([...g.inputs.map((i) => i.name), ...g.initializers.keys(), ...g.sparseInitializers.keys()]);
    for (const n of g.nodes) for (const o of n.outputs) names.add(o);
    taken.set(ctx, names);
  }
  let name = base;
  for (let k = 2; names.has(name) || ctx.constants.has(name); k++) name = `${base}#${k}`;
  names.add(name);
  return name;
}
