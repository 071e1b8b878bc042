// Typed, defaulted access to a node's attributes: what an operator's parse() receives.

import { InvalidNodeError } from '../src/errors.js';
import type { Attribute, Graph } from '../src/ir/graph.js';
import type { Tensor } from '../src/tensor.js';

/** Typed, defaulted access to a node's attributes. */
export class Attrs {
  constructor(private readonly map: ReadonlyMap<string, Attribute>) {}

  has(name: string): boolean {
    return this.map.has(name);
  }

  private get<K extends Attribute['type']>(name: string, type: K): Extract<Attribute, { type: K }> | undefined {
    const a = this.map.get(name);
    if (a === undefined) return undefined;
    if (a.type !== type) {
      throw new InvalidNodeError(`attribute '${name}' should be of type ${type}, found ${a.type}`);
    }
    return a as Extract<Attribute, { type: K }>;
  }

  private missing(name: string): never {
    throw new InvalidNodeError(`required attribute '${name}' is missing`);
  }

  int(name: string, def?: number): number {
    const a = this.get(name, 'int');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  float(name: string, def?: number): number {
    const a = this.get(name, 'float');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  string(name: string, def?: string): string {
    const a = this.get(name, 'string');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  ints(name: string, def?: readonly number[]): readonly number[] {
    const a = this.get(name, 'ints');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  floats(name: string, def?: readonly number[]): readonly number[] {
    const a = this.get(name, 'floats');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  strings(name: string, def?: readonly string[]): readonly string[] {
    const a = this.get(name, 'strings');
    return a ? a.value : def !== undefined ? def : this.missing(name);
  }
  tensor(name: string): Tensor | undefined {
    return this.get(name, 'tensor')?.value;
  }
  graph(name: string): Graph | undefined {
    return this.get(name, 'graph')?.value;
  }
  /** The raw attribute, for ops that accept several types (Constant). */
  raw(name: string): Attribute | undefined {
    return this.map.get(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
}
