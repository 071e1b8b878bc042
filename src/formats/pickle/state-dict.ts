// Flattening a loaded tree into named tensors, and reporting which of them share a storage.

import { Tensor } from '../../tensor.js';
import { tensorSource } from './tensor-rebuild.js';
import { PyRecord } from './values.js';

function keyName(k: unknown): string | undefined {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  return undefined;
}

/**
 * Every tensor reachable from `tree`, named by its path with '.' between keys (a state dict keeps
 * its own names; a checkpoint gives 'model.fc.weight', 'optimizer.state.0.exp_avg', ...).
 * Iterative and cycle-safe; dict keys that are not str/int are skipped.
 */
export function stateDict(tree: unknown): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const seen = new Set<object>();
  const todo: Array<[string, unknown]> = [['', tree]];
  while (todo.length) {
    const [path, v] = todo.pop()!;
    if (v instanceof Tensor) {
      if (!out.has(path)) out.set(path, v);
      continue;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    const children: Array<[string, unknown]> = [];
    const join = (k: string): string => (path ? `${path}.${k}` : k);
    if (v instanceof Map) {
      for (const [k, c] of v) {
        const name = keyName(k);
        if (name !== undefined) children.push([join(name), c]);
      }
    } else if (Array.isArray(v)) {
      v.forEach((c, i) => children.push([join(String(i)), c]));
    } else if (v instanceof PyRecord) {
      children.push([path, v.state]);
    }
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!);
  }
  return out;
}

/** Groups of names whose tensors view the same storage of the file (only groups of two or more). */
export function storageSharing(tensors: Map<string, Tensor>): Array<{ storage: string; names: string[] }> {
  const groups = new Map<string, string[]>();
  for (const [name, t] of tensors) {
    const src = tensorSource(t);
    if (!src) continue;
    const g = groups.get(src.storage) ?? [];
    g.push(name);
    groups.set(src.storage, g);
  }
  return [...groups].filter(([, names]) => names.length > 1).map(([storage, names]) => ({ storage, names }));
}
