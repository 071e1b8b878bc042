// View provenance. tessera tensors are contiguous and never share strided storage, so
// aten::slice / select / narrow / transpose / permute return copies. To keep PyTorch's
// semantics for the common pattern of mutating a view in place (`x[:, 0] += 1`, serialized as
// aten::select + aten::add_, and `x[1:3] = y` as aten::slice + aten::copy_), every such copy
// records its base and how to write itself back; an in-place op that mutates a recorded view
// writes the new values back into the base (recursively, through chains of views).
// What this does not cover: a view taken *before* its base is mutated in place keeps its old
// values (the base does not push changes into earlier views).

import { sliceAssign } from '../../kernels/slice-assign.js';
import { type StorageArray, wordView } from '../../kernels/element-words.js';
import type { DataType, TensorData } from '../../src/dtypes.js';
import { Tensor } from '../../src/tensor.js';
import { transposeTensor } from '../tensor-words.js';
import { bumpStorageVersion } from './versions.js';

/** How a view relates to its base: shares its data, or is a copy of a slice or a permutation of it. */
export interface Provenance {
  readonly base: Tensor;
  /** A slice: base[starts + k * steps] (full rank). */
  readonly starts?: readonly number[];
  readonly steps?: readonly number[];
  /** A permutation: view axis i is base axis perm[i]. */
  readonly perm?: readonly number[];
}

/**
 * A tensor that is a view of another: it carries its provenance (a subclass rather than a
 * WeakMap entry per view, which cost more than the view itself on small tensors).
 */
export class ViewTensor extends Tensor {
  constructor(type: DataType, data: TensorData, dims: readonly number[], readonly provenance: Provenance) {
    super(type, data, dims);
  }
}

/**
 * `view` shares `base`'s data array (view/reshape/flatten/squeeze/unsqueeze/detach). Only a base
 * that is itself a view needs the link (a write then has to travel on to its base).
 */
export function recordAlias(view: Tensor, base: Tensor): Tensor {
  if (view === base || !(base instanceof ViewTensor)) return view;
  return new ViewTensor(view.type, view.data, view.dims, { base });
}

/** `view` is a copy of base[starts + k * steps] (full-rank starts/steps; view has base's rank). */
export function recordSlice(view: Tensor, base: Tensor, starts: readonly number[], steps: readonly number[]): Tensor {
  return view === base ? view : new ViewTensor(view.type, view.data, view.dims, { base, starts, steps });
}

/** `view` is base transposed by `perm`. */
export function recordPermute(view: Tensor, base: Tensor, perm: readonly number[]): Tensor {
  return view === base ? view : new ViewTensor(view.type, view.data, view.dims, { base, perm });
}

/** Writes the view's current values into its base's storage (nothing for shared-data views). */
function writeBack(p: Provenance, view: Tensor): boolean {
  const b = p.base;
  if (p.starts !== undefined) {
    const dst = wordView(b.data as StorageArray);
    const src = wordView(view.data as StorageArray);
    sliceAssign(dst.words, src.words, b.dims, p.starts, p.steps!, view.dims, dst.perSlot);
    return true;
  }
  if (p.perm !== undefined) {
    const inverse = new Array<number>(p.perm.length);
    p.perm.forEach((a, i) => { inverse[a] = i; });
    const back = transposeTensor(view, inverse);
    (b.data as unknown as { set(a: ArrayLike<unknown>): void }).set(back.data as ArrayLike<unknown>);
    return true;
  }
  return false;
}

/** After `t` was mutated in place: pushes its values into the tensors it is a view of. */
export function propagateToBase(t: Tensor): void {
  for (let v = t; v instanceof ViewTensor; v = v.provenance.base) {
    const p = v.provenance;
    if (writeBack(p, v)) bumpStorageVersion(p.base.data);
  }
}
