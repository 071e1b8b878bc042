// Softmax, LogSoftmax, Hardmax. Before opset 13 the input is coerced to 2-D at `axis`
// ([prod(dims[:axis]), prod(dims[axis:])]) and normalised along the second dimension;
// from opset 13 the op works along `axis` alone.

import { hardmaxFloat, logSoftmaxFloat, softmaxFloat } from '../../kernels/softmax.js';
import { normalizeAxis, sizeBetween } from '../../kernels/strides.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import { sameAs } from '../infer-helpers.js';
import { gpuProducts } from '../engine.js';
import { type Attrs, type OpContext, type OpDef, op } from '../op-def.js';
import type { FloatArray } from '../../kernels/arrays.js';

type Kernel = (x: FloatArray, out: FloatArray, outer: number, n: number, inner: number) => void;

interface AxisAttrs { readonly axis: number }

/** [outer, n, inner] for the opset 13 semantics: normalise along dims[axis]. */
function axisView(name: string, dims: readonly number[], axis: number): [number, number, number] {
  const a = normalizeAxis(axis, dims.length);
  if (a < 0) throw new InvalidNodeError(`${name}: axis ${axis} out of range [-${dims.length}, ${dims.length})`);
  return [sizeBetween(dims, 0, a), dims[a]!, sizeBetween(dims, a + 1, dims.length)];
}

/** [outer, n, 1] for the pre-13 semantics: coerce to 2-D at `axis`, normalise each row. */
function coercedView(name: string, dims: readonly number[], axis: number): [number, number, number] {
  const r = dims.length;
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a > r) throw new InvalidNodeError(`${name}: axis ${axis} out of range [-${r}, ${r}]`);
  return [sizeBetween(dims, 0, a), sizeBetween(dims, a, r), 1];
}

function checkFloat(name: string, x: Tensor | undefined): Tensor {
  if (!x) throw new ShapeError(`${name}: input is missing`);
  if (!isFloatType(x.type)) throw new ShapeError(`${name}: input must be a float tensor, got ${x.type}`);
  return x;
}

/** A float32 Softmax / LogSoftmax offered to the 'webgl' backend's GPU (null: no GPU, or it declined). */
function softmaxOnGpu(name: string, x: Tensor, outer: number, n: number, inner: number, ctx: OpContext | undefined): Tensor | null {
  const gpu = gpuProducts();
  if (gpu === null || ctx === undefined || x.type !== 'float32' || (name !== 'Softmax' && name !== 'LogSoftmax')) return null;
  return gpu.softmax(ctx.node, { kind: name, outer, n, inner }, x);
}

function define(name: string, kernel: Kernel): OpDef[] {
  const run = (view: typeof axisView) => (inputs: readonly (Tensor | undefined)[], attrs: AxisAttrs, ctx?: OpContext) => {
    const x = checkFloat(name, inputs[0]);
    const [outer, n, inner] = view(name, x.dims, attrs.axis);
    const onGpu = softmaxOnGpu(name, x, outer, n, inner, ctx);
    if (onGpu !== null) return [onGpu];
    const out = allocFloat(x.type, x.size);
    kernel(floatData(x), out, outer, n, inner);
    return [floatTensor(x.type, out, x.dims)];
  };
  return [
    op({
      name, since: 1,
      parse: (a: Attrs): AxisAttrs => Object.freeze({ axis: a.int('axis', 1) }),
      infer: sameAs(0),
      run: run(coercedView),
    }),
    op({
      name, since: 13,
      parse: (a: Attrs): AxisAttrs => Object.freeze({ axis: a.int('axis', -1) }),
      infer: sameAs(0),
      run: run(axisView),
    }),
  ];
}

export const softmaxOps: OpDef[] = [
  ...define('Softmax', softmaxFloat),
  ...define('LogSoftmax', logSoftmaxFloat),
  ...define('Hardmax', hardmaxFloat),
];
