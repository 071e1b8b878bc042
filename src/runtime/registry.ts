// The resolve table: operators keyed on domain::name, newest `since` <= the model's opset wins.

import type { OpDef } from '../../ops/op-def.js';
import { opKey } from '../ir/graph.js';

export class OpRegistry {
  private readonly byKey = new Map<string, OpDef[]>();

  constructor(defs: Iterable<OpDef>) {
    for (const d of defs) this.add(d);
  }

  add(def: OpDef): void {
    const key = opKey(def.domain ?? '', def.name);
    const list = this.byKey.get(key) ?? [];
    // Newest since first; among equal since, the later registration wins (stable sort).
    list.unshift(def);
    list.sort((a, b) => b.since - a.since);
    this.byKey.set(key, list);
  }

  /** The definition for `domain::name` at `opset`, or undefined. */
  resolve(domain: string, name: string, opset: number): OpDef | undefined {
    const list = this.byKey.get(opKey(domain, name));
    return list?.find((d) => d.since <= opset);
  }

  has(domain: string, name: string): boolean {
    return this.byKey.has(opKey(domain, name));
  }

  keys(): string[] {
    return [...this.byKey.keys()].sort();
  }
}
