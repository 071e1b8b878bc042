// im2col and col2im: what F.unfold and F.fold (nn.Unfold / nn.Fold) call, over 2-D images.
// im2col gathers every kernel tap of every sliding block into [N, C * kh * kw, L] with the row
// order (channel, ky, kx) and the column order (oy, ox), PyTorch's; it calls the convolution's
// im2col kernel (kernels/im2col.ts) with a depth of 1. col2im, its adjoint, composes the ONNX
// Col2Im (kernels/col2im-ops.ts). timm's TNT (pixel embedding) and VOLO (outlook attention) use them.

import { im2col } from '../../kernels/im2col.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { allocFloatOut, floatData, floatTensor } from '../compute.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { intList, tensorArg } from './args.js';
import { checkTensorElements } from './budget.js';
import { aten, shapeTensor } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { isFloating } from './promote.js';

const fmt = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

interface Window2 {
  readonly kernel: number[];
  readonly dilation: number[];
  readonly padding: number[];
  readonly stride: number[];
}

function windowArgs(a: readonly TsValue[], first: number, op: string): Window2 {
  const w = {
    kernel: intList(a[first]!, op, 'kernel_size', 2), dilation: intList(a[first + 1]!, op, 'dilation', 2),
    padding: intList(a[first + 2]!, op, 'padding', 2), stride: intList(a[first + 3]!, op, 'stride', 2),
  };
  if (!w.kernel.every((k) => k > 0) || !w.dilation.every((d) => d > 0) || !w.stride.every((s) => s > 0)) {
    throw new InvalidNodeError(`${op}: kernel_size ${fmt(w.kernel)}, dilation ${fmt(w.dilation)} and stride ${fmt(w.stride)} must be positive`);
  }
  if (!w.padding.every((p) => p >= 0)) throw new InvalidNodeError(`${op}: padding ${fmt(w.padding)} must be non-negative`);
  return w;
}

/** Block positions along each axis of an image of `size`, refused when there are none. */
function blockGrid(size: readonly number[], w: Window2, op: string): number[] {
  const grid = size.map((n, i) => Math.floor((n + 2 * w.padding[i]! - w.dilation[i]! * (w.kernel[i]! - 1) - 1) / w.stride[i]!) + 1);
  if (grid.some((g) => g < 1)) {
    throw new ShapeError(`${op}: image ${fmt(size)} with padding ${fmt(w.padding)} has no room for kernel ${fmt(w.kernel)} at dilation ${fmt(w.dilation)}`);
  }
  return grid;
}

function requireFloat(x: Tensor, op: string): void {
  if (!isFloating(x.type) || x.type === 'bfloat16' || x.type === 'float16') {
    throw new InvalidNodeError(`${op}: input of type ${x.type} is not supported (float32 and float64 are)`);
  }
}

/** [N, C, H, W] (or [C, H, W]) -> [N, C * kh * kw, L] (or [C * kh * kw, L]). */
export function unfoldImage(x: Tensor, w: Window2, op: string): Tensor {
  requireFloat(x, op);
  if (x.rank !== 3 && x.rank !== 4) throw new ShapeError(`${op}: expected a 3-D or 4-D input, got ${fmt(x.dims)}`);
  const batched = x.rank === 4;
  const [n, c, h, wd] = batched ? x.dims as [number, number, number, number] : [1, ...x.dims] as [number, number, number, number];
  const grid = blockGrid([h, wd], w, op);
  const rows = c * w.kernel[0]! * w.kernel[1]!;
  const cols = grid[0]! * grid[1]!;
  checkTensorElements(n * rows * cols, () => `${op} output of shape ${fmt([n, rows, cols])}`);
  const src = floatData(x);
  const out = allocFloatOut(x.type, n * rows * cols);
  const win = {
    image: [1, h, wd], grid: [1, grid[0]!, grid[1]!], kernel: [1, w.kernel[0]!, w.kernel[1]!],
    strides: [1, w.stride[0]!, w.stride[1]!], dilations: [1, w.dilation[0]!, w.dilation[1]!], pads: [0, w.padding[0]!, w.padding[1]!],
  } as const;
  for (let b = 0; b < n; b++) {
    im2col(src, b * c * h * wd, c, win, b === 0 ? out : out.subarray(b * rows * cols, (b + 1) * rows * cols));
  }
  return floatTensor(x.type, out, batched ? [n, rows, cols] : [rows, cols]);
}

/** [N, C * kh * kw, L] (or [C * kh * kw, L]) -> [N, C, H, W] (or [C, H, W]), overlaps summed. */
export function foldColumns(x: Tensor, outputSize: number[], w: Window2, op: string): Tensor {
  requireFloat(x, op);
  if (x.rank !== 2 && x.rank !== 3) throw new ShapeError(`${op}: expected a 2-D or 3-D input, got ${fmt(x.dims)}`);
  const batched = x.rank === 3;
  const xin = batched ? x : x.reshape([1, ...x.dims]);
  const [n, rows, cols] = xin.dims as [number, number, number];
  const taps = w.kernel[0]! * w.kernel[1]!;
  if (rows % taps !== 0) throw new ShapeError(`${op}: input dim ${batched ? 1 : 0} (${rows}) is not divisible by the kernel's ${taps} taps`);
  const grid = blockGrid(outputSize, w, op);
  if (grid[0]! * grid[1]! !== cols) {
    throw new ShapeError(`${op}: input has ${cols} blocks but output_size ${fmt(outputSize)} with this kernel, padding, dilation and stride gives ${fmt(grid)}`);
  }
  checkTensorElements(n * (rows / taps) * outputSize[0]! * outputSize[1]!, () => `${op} output`);
  const y = onnx1('Col2Im', [xin, shapeTensor(outputSize), shapeTensor(w.kernel)], {
    dilations: w.dilation, pads: [...w.padding, ...w.padding], strides: w.stride,
  });
  return batched ? y : y.reshape(y.dims.slice(1));
}

export const foldOps: readonly AtenOp[] = [
  aten('im2col', '(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride)',
    (a) => unfoldImage(tensorArg(a[0]!, 'im2col', 'self'), windowArgs(a, 1, 'aten::im2col'), 'aten::im2col')),
  aten('col2im', '(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride)',
    (a) => foldColumns(tensorArg(a[0]!, 'col2im', 'self'), intList(a[1]!, 'aten::col2im', 'output_size', 2), windowArgs(a, 2, 'aten::col2im'), 'aten::col2im')),
];
