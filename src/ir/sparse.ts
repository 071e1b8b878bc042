// Sparse tensors of the IR (an ONNX SparseTensorProto's values, indices and dims) made dense.
// Core, not format: the runtime densifies sparse initializers when a run starts.

import { shapeSize } from '../../kernels/strides.js';
import { ModelFormatError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { SparseTensorValue } from './graph.js';

/** Expands a sparse tensor (COO, linear or per-dimension indices) into a dense tensor. */
export function densify(sp: SparseTensorValue, part: string): Tensor {
  const { values, indices, dims } = sp;
  const out = Tensor.zeros(values.type, dims);
  const total = shapeSize(dims);
  const nnz = values.size;
  const idx = indices.toNumbers();
  const rank = dims.length;
  const linear = indices.dims.length === 1;
  if ((linear && idx.length !== nnz) || (!linear && idx.length !== nnz * rank)) {
    throw new ModelFormatError(`${part}: sparse indices shape [${indices.dims.join(', ')}] does not fit ${nnz} values`);
  }
  const src = values.data as unknown as ArrayLike<unknown>;
  const dst = out.data as unknown as { [i: number]: unknown };
  for (let k = 0; k < nnz; k++) {
    let flat = 0;
    if (linear) flat = idx[k]!;
    else for (let d = 0; d < rank; d++) flat = flat * dims[d]! + idx[k * rank + d]!;
    if (!(flat >= 0 && flat < total)) throw new ModelFormatError(`${part}: sparse index ${flat} out of range`);
    dst[flat] = src[k];
  }
  return out;
}
