// Det: determinants of the trailing square matrices of a [..., M, M] tensor.

import { determinant } from '../../kernels/det.js';
import { shapeSize } from '../../kernels/strides.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type OpDef, op } from '../op-def.js';
import { required } from '../op-inputs.js';

function runDet(x: Tensor): Tensor {
  if (!isFloatType(x.type)) throw new InvalidNodeError(`Det: input must be a float tensor, got ${x.type}`);
  const r = x.dims.length;
  if (r < 2 || x.dims[r - 1] !== x.dims[r - 2]) {
    throw new ShapeError(`Det: input must be [..., M, M], got dims [${x.dims.join(', ')}]`);
  }
  const m = x.dims[r - 1]!;
  const outDims = x.dims.slice(0, r - 2);
  const batch = shapeSize(outDims);
  const out = allocFloat(x.type, batch);
  determinant(floatData(x), out, batch, m);
  return floatTensor(x.type, out, outDims);
}

export const detOps: OpDef[] = [
  op({
    name: 'Det',
    since: 11,
    infer: ([x]) => [tensorType(elemOf(x), shapeOf(x)?.slice(0, -2))],
    run: (inputs) => [runDet(required('Det', inputs[0], 'X'))],
  }),
];
