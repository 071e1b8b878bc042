// Building aten op definitions: one AtenOp per PyTorch overload schema, and the in-place
// (`op_`) twin of an out-of-place op, which writes its result into `self` and returns it.

import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { isIntegral } from './args.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo } from './promote.js';
import { propagateToBase } from './views.js';
import { bumpStorageVersion } from './versions.js';

export function aten(name: string, schema: string, run: (args: readonly TsValue[]) => TsValue): AtenOp {
  return Object.freeze({ name: `aten::${name}`, schema, run });
}

/**
 * Writes `result` into `self`'s storage (broadcast to self's shape, cast to self's type) and
 * returns `self`. Views that share self's data array (view/reshape/flatten/squeeze/unsqueeze)
 * see the change; when self is itself a (copied) slice/select/transpose of a base, the values
 * are written back into the base (see views.ts).
 */
export function assignInPlace(self: Tensor, result: Tensor, op: string): Tensor {
  if (isIntegral(self.type) && !isIntegral(result.type) && result.type !== 'bool') {
    throw new InvalidNodeError(`${op}: result type ${result.type} can't be cast to the desired output type ${self.type}`);
  }
  let r = result;
  if (r.dims.length !== self.dims.length || r.dims.some((d, i) => d !== self.dims[i])) {
    if (r.rank > self.rank || r.dims.some((d, i) => d !== 1 && d !== self.dims[self.rank - r.rank + i])) {
      throw new ShapeError(
        `${op}: output with shape [${self.dims.join(', ')}] doesn't match the broadcast shape [${r.dims.join(', ')}]`,
      );
    }
    r = onnx1('Expand', [r, shapeTensor(self.dims)]);
  }
  r = castTo(r, self.type);
  if (r.data !== self.data) (self.data as unknown as { set(a: ArrayLike<unknown>): void }).set(r.data as ArrayLike<unknown>);
  bumpStorageVersion(self.data);
  propagateToBase(self);
  return self;
}

/** Records that a kernel wrote into `self`'s storage in place (what assignInPlace does after its copy). */
export function wroteInPlace(self: Tensor): Tensor {
  bumpStorageVersion(self.data);
  propagateToBase(self);
  return self;
}

/** The in-place twin `name_` of an out-of-place op: same schema, writes into arg 0. */
export function inPlace(base: AtenOp): AtenOp {
  const name = `${base.name}_`;
  return Object.freeze({
    name, schema: base.schema,
    run: (args: readonly TsValue[]) => assignInPlace(args[0] as Tensor, base.run(args) as Tensor, name),
  });
}

/** Ops followed by their in-place twins. */
export function withInPlace(ops: readonly AtenOp[]): AtenOp[] {
  return [...ops, ...ops.map(inPlace)];
}

/** A 1-D int64 tensor of dims (for ONNX shape inputs). */
export function shapeTensor(dims: readonly number[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(dims, (d) => BigInt(d)), [dims.length]);
}
