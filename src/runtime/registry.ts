// The resolve table: operators keyed on domain::name, newest `since` <= the model's opset wins.
// Optional families (ops/onnx/optional.ts) are known by name from the start and join the table
// when loadFor() meets one of their operators; until then resolve() does not see them.

import type { OpDef } from '../../ops/op-def.js';
import type { OptionalOpFamily } from '../../ops/onnx/optional.js';
import { type Graph, type Model, type Node, opKey } from '../ir/graph.js';
import { subgraphsOf } from '../ir/validate.js';

export class OpRegistry {
  private readonly byKey = new Map<string, OpDef[]>();
  /** Operators of families not loaded into this registry yet, by domain::name. */
  private readonly pending = new Map<string, OptionalOpFamily>();

  constructor(defs: Iterable<OpDef>, optional: readonly OptionalOpFamily[] = []) {
    for (const d of defs) this.add(d);
    for (const f of optional) for (const k of f.ops) this.pending.set(k, f);
  }

  add(def: OpDef): void {
    const key = opKey(def.domain ?? '', def.name);
    const list = this.byKey.get(key) ?? [];
    // Newest since first; among equal since, the later registration wins (stable sort).
    list.unshift(def);
    list.sort((a, b) => b.since - a.since);
    this.byKey.set(key, list);
  }

  /** A built-in definition loaded late: among equal since, what was registered before it still wins. */
  private addBuiltIn(def: OpDef): void {
    const key = opKey(def.domain ?? '', def.name);
    const list = this.byKey.get(key) ?? [];
    list.push(def);
    list.sort((a, b) => b.since - a.since);
    this.byKey.set(key, list);
  }

  /** The definition for `domain::name` at `opset`, or undefined (also while its family is not loaded). */
  resolve(domain: string, name: string, opset: number): OpDef | undefined {
    const list = this.byKey.get(opKey(domain, name));
    return list?.find((d) => d.since <= opset);
  }

  /** Whether `domain::name` is known, loaded or not. */
  has(domain: string, name: string): boolean {
    const key = opKey(domain, name);
    return this.byKey.has(key) || this.pending.has(key);
  }

  /** The optional family that defines `domain::name` and is not loaded yet, if any. */
  unloadedFamily(domain: string, name: string): string | undefined {
    return this.pending.get(opKey(domain, name))?.name;
  }

  keys(): string[] {
    return [...new Set([...this.byKey.keys(), ...this.pending.keys()])].sort();
  }

  /** Loads the families that define any of `keys` (domain::name); a family that builds graphs (Gradient) loads them all. */
  async loadFor(keys: Iterable<string>): Promise<void> {
    const wanted = new Set<OptionalOpFamily>();
    for (const k of keys) {
      const f = this.pending.get(k);
      if (f) wanted.add(f);
    }
    if ([...wanted].some((f) => f.loadsAll)) return this.loadAll();
    await this.loadFamilies(wanted);
  }

  /** Loads every optional family. */
  async loadAll(): Promise<void> {
    await this.loadFamilies(new Set(this.pending.values()));
  }

  private async loadFamilies(families: ReadonlySet<OptionalOpFamily>): Promise<void> {
    const loaded = await Promise.all([...families].map(async (f) => [f, await f.load()] as const));
    for (const [f, defs] of loaded) {
      if (this.pending.get(f.ops[0]!) !== f) continue; // another loadFor added it meanwhile
      for (const k of f.ops) this.pending.delete(k);
      for (const d of defs) this.addBuiltIn(d);
    }
  }
}

/** domain::name of every operator a model names: its graph's, its subgraphs' and its functions' nodes (what loadFor needs). */
export function modelOpKeys(model: Model): Set<string> {
  const keys = new Set<string>();
  const stack: Graph[] = [model.graph];
  const walk = (nodes: readonly Node[]): void => {
    for (const n of nodes) {
      keys.add(opKey(n.domain, n.opType));
      stack.push(...subgraphsOf(n));
    }
  };
  for (const f of model.functions) walk(f.nodes);
  for (let g = stack.pop(); g !== undefined; g = stack.pop()) walk(g.nodes);
  return keys;
}
