// Pooling (max, average, adaptive), interpolation (upsample_*) and padding. Windowed pools
// call the shared pool kernels with PyTorch's output sizes (ceil_mode drops a last window
// that would start in the right padding); interpolation composes ONNX Resize.

import { adaptivePoolFloat } from '../../kernels/adaptive-pool.js';
import { type PoolGeometry, averagePoolFloat, maxPoolFloat, maxPoolWindows } from '../../kernels/pool.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import { TsTuple, type AtenOp, type TsValue } from './aten-op.js';
import { checkTensorDims, checkTensorElements } from './budget.js';
import {
  boolArg, floatArg, intList, optFloat, optInt, optIntList, strArg, tensorArg,
} from './args.js';
import { aten, shapeTensor } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { isFloating } from './promote.js';
import { gemmEngine } from '../engine.js';

const T = (v: TsValue, op: string): Tensor => tensorArg(v, op, 'self');

interface Window {
  readonly kernel: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly ceil: boolean;
}

/** x as [planes, ...spatial] with `n` spatial dims; unbatched inputs are accepted. */
function planes(x: Tensor, n: number, op: string): number {
  if (x.rank !== n + 1 && x.rank !== n + 2) {
    throw new ShapeError(`${op}: expected a ${n + 1}D or ${n + 2}D input, got [${x.dims.join(', ')}]`);
  }
  if (!isFloating(x.type)) throw new InvalidNodeError(`${op}: expected a float input, got ${x.type}`);
  return x.dims.slice(0, x.rank - n).reduce((a, b) => a * b, 1);
}

function outSize(inLen: number, w: Window, i: number, op: string): number {
  const k = w.kernel[i]!, s = w.stride[i]!, p = w.padding[i]!, d = w.dilation[i]!;
  if (p > Math.floor(k / 2)) throw new InvalidNodeError(`${op}: pad should be at most half of the effective kernel size, got pad ${p} for kernel ${k}`);
  const span = inLen + 2 * p - d * (k - 1) - 1;
  let o = (w.ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (w.ceil && (o - 1) * s >= inLen + p) o--;
  if (o <= 0) throw new ShapeError(`${op}: output size is too small (input ${inLen}, kernel ${k}, stride ${s}, padding ${p})`);
  return o;
}

function geometry(x: Tensor, n: number, w: Window, op: string): [PoolGeometry, number[]] {
  const ch = planes(x, n, op);
  const spatial = x.dims.slice(x.rank - n);
  const out = spatial.map((len, i) => outSize(len, w, i, op));
  const pad3 = (v: readonly number[], fill: number) => [...new Array<number>(3 - n).fill(fill), ...v];
  const g: PoolGeometry = {
    channels: ch, inShape: pad3(spatial, 1), outShape: pad3(out, 1), kernel: pad3(w.kernel, 1),
    strides: pad3(w.stride, 1), dilations: pad3(w.dilation, 1), padsBegin: pad3(w.padding, 0), padsEnd: pad3(w.padding, 0),
  };
  const dims = [...x.dims.slice(0, x.rank - n), ...out];
  checkTensorDims(dims, () => `${op} output of shape [${dims.join(', ')}]`); // huge padding: refuse before allocating
  return [g, dims];
}

function windowArgs(a: readonly TsValue[], n: number, op: string, withDilation: boolean): Window {
  const kernel = intList(a[1]!, op, 'kernel_size', n);
  const strideList = intList(a[2]!, op, 'stride');
  return {
    kernel,
    stride: strideList.length === 0 ? kernel : intList(a[2]!, op, 'stride', n),
    padding: intList(a[3]!, op, 'padding', n),
    dilation: withDilation ? intList(a[4]!, op, 'dilation', n) : new Array<number>(n).fill(1),
    ceil: boolArg(a[withDilation ? 5 : 4]!, op, 'ceil_mode'),
  };
}

export function maxPool(x: Tensor, n: number, w: Window, op: string, withIndices: boolean): Tensor | TsTuple {
  const [g, dims] = geometry(x, n, w, op);
  const out = allocFloat(x.type, dims.reduce((p, d) => p * d, 1));
  const idx = withIndices ? new BigInt64Array(out.length) : null;
  const xd = floatData(x);
  const onEngine = idx === null && xd instanceof Float32Array && out instanceof Float32Array && gemmEngine().maxPool?.(xd, out, g) === true;
  if (!onEngine) maxPoolWindows(xd, out, g, idx, false, -Infinity);
  let y = floatTensor(x.type, out, dims);
  // The kernel skips NaN (ONNX); PyTorch's max pool propagates it: pool the NaN mask too.
  // (TypedArray includes compares with SameValueZero, so it finds NaN.)
  if (idx === null && xd.includes(NaN)) {
    const nan = onnx1('IsNaN', [x]);
    const mask = floatData(onnx1('Cast', [nan], { to: 1 }));
    const pooled = new Float32Array(out.length);
    maxPoolFloat(mask, pooled, g, null, false, 0);
    y = onnx1('Where', [onnx1('Greater', [new Tensor('float32', pooled, dims), new Tensor('float32', [0], [])]),
      new Tensor(x.type === 'float64' ? 'float64' : 'float32', [NaN], []), y]);
    if (y.type !== x.type) y = onnx1('Cast', [y], { to: 10 });
  }
  if (idx === null) return y;
  // The kernel counts indices over the whole input; PyTorch counts within each plane.
  const plane = g.inShape.reduce((p, d) => p * d, 1);
  const perPlane = g.outShape.reduce((p, d) => p * d, 1);
  const start = new Tensor('int64', BigInt64Array.of(0n), []);
  const offsets = onnx1('Range', [start, new Tensor('int64', BigInt64Array.of(BigInt(g.channels * plane)), []),
    new Tensor('int64', BigInt64Array.of(BigInt(plane)), [])]);
  const local = onnx1('Sub', [new Tensor('int64', idx, [g.channels, perPlane]), offsets.reshape([g.channels, 1])]);
  return new TsTuple([y, local.reshape(dims)]);
}

function avgPool(x: Tensor, n: number, w: Window, includePad: boolean, divisor: number | null, op: string): Tensor {
  if (divisor === 0) throw new InvalidNodeError(`${op}: divisor must be not zero`);
  const [g, dims] = geometry(x, n, w, op);
  const out = allocFloat(x.type, dims.reduce((p, d) => p * d, 1));
  averagePoolFloat(floatData(x), out, g, includePad, divisor ?? 0);
  return floatTensor(x.type, out, dims);
}

export function adaptivePool(x: Tensor, n: number, size: readonly (number | null)[], isMax: boolean, op: string): Tensor | TsTuple {
  const ch = planes(x, n, op);
  const spatial = x.dims.slice(x.rank - n);
  const outDims = spatial.map((len, i) => size[i] ?? len);
  const pad3 = (v: readonly number[]) => [...new Array<number>(3 - n).fill(1), ...v];
  const total = ch * outDims.reduce((p, d) => p * d, 1);
  checkTensorElements(total, () => `${op} output of size [${outDims.join(', ')}]`);
  const out = allocFloat(x.type, total);
  const idx = isMax ? new BigInt64Array(total) : null;
  adaptivePoolFloat(floatData(x), out, ch, pad3(spatial), pad3(outDims), isMax, idx);
  const dims = [...x.dims.slice(0, x.rank - n), ...outDims];
  const y = floatTensor(x.type, out, dims);
  return idx === null ? y : new TsTuple([y, new Tensor('int64', idx, dims)]);
}

function windowPoolOps(): AtenOp[] {
  const ops: AtenOp[] = [];
  for (const n of [1, 2, 3]) {
    const mp = `max_pool${n}d`;
    const win = `int[${n}] kernel_size, int[${n}] stride=[], int[${n}] padding=0`;
    ops.push(
      aten(mp, `(Tensor self, ${win}, int[${n}] dilation=1, bool ceil_mode=False)`, (a) =>
        maxPool(T(a[0]!, mp), n, windowArgs(a, n, mp, true), `aten::${mp}`, false)),
      aten(`${mp}_with_indices`, `(Tensor self, ${win}, int[${n}] dilation=1, bool ceil_mode=False)`, (a) =>
        maxPool(T(a[0]!, mp), n, windowArgs(a, n, mp, true), `aten::${mp}_with_indices`, true)),
    );
    const ap = `avg_pool${n}d`;
    const tail = n === 1 ? '' : ', int? divisor_override=None';
    ops.push(aten(ap, `(Tensor self, ${win}, bool ceil_mode=False, bool count_include_pad=True${tail})`, (a) =>
      avgPool(T(a[0]!, ap), n, windowArgs(a, n, ap, false), boolArg(a[5]!, ap, 'count_include_pad'),
        n === 1 ? null : optInt(a[6]!, ap, 'divisor_override'), `aten::${ap}`)));
    const aap = `adaptive_avg_pool${n}d`;
    const amp = `adaptive_max_pool${n}d`;
    const sizes = (v: TsValue, op: string) => (Array.isArray(v) ? v.map((s) => (s === null ? null : Number(s))) : intList(v, op, 'output_size', n));
    ops.push(
      aten(aap, `(Tensor self, SymInt[${n}] output_size)`, (a) => adaptivePool(T(a[0]!, aap), n, sizes(a[1]!, aap), false, `aten::${aap}`)),
      aten(amp, `(Tensor self, int[${n}] output_size)`, (a) => adaptivePool(T(a[0]!, amp), n, sizes(a[1]!, amp), true, `aten::${amp}`)),
    );
  }
  return ops;
}

// ---- interpolation ----

type Mode = 'nearest' | 'nearest-exact' | 'linear' | 'cubic';

/** Resizes the trailing n dims; `size` or `scales` (PyTorch's scale_factors) gives the output. */
export function interpolate(
  x: Tensor, n: number, mode: Mode, alignCorners: boolean, size: number[] | null, scales: number[] | null, op: string,
): Tensor {
  if (x.rank !== n + 2) throw new ShapeError(`${op}: expected a ${n + 2}D input, got [${x.dims.join(', ')}]`);
  const spatial = x.dims.slice(2);
  let out: number[];
  let sc: number[];
  if (size !== null) {
    if (size.length !== n) throw new InvalidNodeError(`${op}: output_size needs ${n} values, got [${size.join(', ')}]`);
    out = size;
    sc = out.map((o, i) => o / spatial[i]!);
  } else if (scales !== null) {
    const s = scales.length === 1 ? new Array<number>(n).fill(scales[0]!) : scales;
    out = spatial.map((len, i) => Math.floor(len * s[i]!));
    sc = s;
  } else throw new InvalidNodeError(`${op}: either output_size or scale_factors must be given`);
  // nearest: src = floor(dst * in / out); nearest-exact: floor((dst + 0.5) * in / out), which is
  // ONNX half_pixel rounded with ties up.
  const coordinate = mode === 'nearest' ? 'asymmetric' : mode === 'nearest-exact' ? 'half_pixel'
    : alignCorners ? 'align_corners' : mode === 'cubic' ? 'half_pixel' : 'pytorch_half_pixel';
  const attrs = {
    mode: mode === 'nearest-exact' ? 'nearest' : mode, coordinate_transformation_mode: coordinate,
    nearest_mode: mode === 'nearest-exact' ? 'round_prefer_ceil' : 'floor', cubic_coeff_a: { float: -0.75 },
  };
  if (size === null && !alignCorners) {
    const scalesT = new Tensor('float32', Float32Array.from([1, 1, ...sc]), [n + 2]);
    return onnx1('Resize', [x, undefined, scalesT], attrs);
  }
  // align_corners maps by (in - 1) / (out - 1) of the integer output size, so sizes are given.
  return onnx1('Resize', [x, undefined, undefined, shapeTensor([x.dims[0]!, x.dims[1]!, ...out])], attrs);
}

function upsampleOps(): AtenOp[] {
  const ops: AtenOp[] = [];
  const kinds: [string, number, Mode, boolean][] = [
    ['_upsample_nearest_exact1d', 1, 'nearest-exact', false], ['_upsample_nearest_exact2d', 2, 'nearest-exact', false],
    ['_upsample_nearest_exact3d', 3, 'nearest-exact', false],
    ['upsample_nearest1d', 1, 'nearest', false], ['upsample_nearest2d', 2, 'nearest', false], ['upsample_nearest3d', 3, 'nearest', false],
    ['upsample_linear1d', 1, 'linear', true], ['upsample_bilinear2d', 2, 'linear', true], ['upsample_trilinear3d', 3, 'linear', true],
    ['upsample_bicubic2d', 2, 'cubic', true],
  ];
  for (const [name, n, mode, hasAlign] of kinds) {
    const op = `aten::${name}`;
    // .vec overload: (input, output_size?, [align_corners,] scale_factors?)
    ops.push(aten(name, `(Tensor input, SymInt[]? output_size, ${hasAlign ? 'bool align_corners, ' : ''}float[]? scale_factors)`, (a) => {
      const x = tensorArg(a[0]!, name, 'input');
      const align = hasAlign ? boolArg(a[2]!, name, 'align_corners') : false;
      const sf = a[hasAlign ? 3 : 2]!;
      return interpolate(x, n, mode, align, optIntList(a[1]!, name, 'output_size'), sf === null ? null : (sf as number[]).map(Number), op);
    }));
    // Plain overload: (self, output_size, [align_corners,] scales_*...)
    const axes = n === 1 ? ['scales'] : n === 2 ? ['scales_h', 'scales_w'] : ['scales_d', 'scales_h', 'scales_w'];
    ops.push(aten(name, `(Tensor self, SymInt[${n}] output_size, ${hasAlign ? 'bool align_corners, ' : ''}${axes.map((s) => `float? ${s}=None`).join(', ')})`, (a) => {
      const x = T(a[0]!, name);
      return interpolate(x, n, mode, hasAlign ? boolArg(a[2]!, name, 'align_corners') : false, intList(a[1]!, name, 'output_size', n), null, op);
    }));
  }
  return ops;
}

// ---- padding ----

type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** PyTorch's pad list (last dim first, begin/end pairs) applied with an ONNX Pad. */
export function pad(x: Tensor, p: readonly number[], mode: PadMode, value: number, op: string): Tensor {
  if (p.length % 2 !== 0 || p.length / 2 > x.rank) {
    throw new InvalidNodeError(`${op}: padding length must be even and at most 2 * rank, got [${p.join(', ')}] for rank ${x.rank}`);
  }
  const begins = new Array<number>(x.rank).fill(0);
  const ends = new Array<number>(x.rank).fill(0);
  for (let i = 0; i < p.length / 2; i++) {
    begins[x.rank - 1 - i] = p[2 * i]!;
    ends[x.rank - 1 - i] = p[2 * i + 1]!;
  }
  if (mode === 'reflect') {
    for (let i = 0; i < x.rank; i++) {
      if (begins[i]! >= x.dims[i]! || ends[i]! >= x.dims[i]!) {
        throw new InvalidNodeError(`${op}: padding size should be less than the corresponding input dimension, got ${begins[i]}/${ends[i]} for size ${x.dims[i]}`);
      }
    }
  }
  const inputs: (Tensor | undefined)[] = [x, shapeTensor([...begins, ...ends])];
  if (mode === 'constant') inputs.push(onnx1('Cast', [new Tensor('float64', [value], [])], { to: onnxTypeCode(x.type) }));
  return onnx1('Pad', inputs, { mode });
}

function onnxTypeCode(t: Tensor['type']): number {
  const codes: Partial<Record<Tensor['type'], number>> = {
    float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16,
  };
  const c = codes[t];
  if (c === undefined) throw new InvalidNodeError(`pad: unsupported element type ${t}`);
  return c;
}

const PAD_MODES: Record<string, PadMode> = { constant: 'constant', reflect: 'reflect', replicate: 'edge', circular: 'wrap' };

function padOps(): AtenOp[] {
  const ops: AtenOp[] = [
    aten('pad', '(Tensor self, int[] pad, str mode="constant", float? value=None)', (a) => {
      const m = strArg(a[2]!, 'pad', 'mode');
      const mode = PAD_MODES[m];
      if (mode === undefined) throw new InvalidNodeError(`aten::pad: unknown padding mode '${m}'`);
      const v = optFloat(a[3]!, 'pad', 'value');
      if (v !== null && v !== 0 && mode !== 'constant') throw new InvalidNodeError(`aten::pad: padding mode '${m}' doesn't take a value`);
      return pad(T(a[0]!, 'pad'), intList(a[1]!, 'pad', 'pad'), mode, v ?? 0, 'aten::pad');
    }),
    aten('constant_pad_nd', '(Tensor self, SymInt[] pad, Scalar value=0)', (a) =>
      pad(T(a[0]!, 'constant_pad_nd'), intList(a[1]!, 'constant_pad_nd', 'pad'), 'constant', floatArg(a[2]!, 'constant_pad_nd', 'value'), 'aten::constant_pad_nd')),
  ];
  for (const n of [1, 2, 3]) {
    for (const [name, mode] of [['reflection', 'reflect'], ['replication', 'edge']] as const) {
      const op = `${name}_pad${n}d`;
      ops.push(aten(op, `(Tensor self, SymInt[${2 * n}] padding)`, (a) => pad(T(a[0]!, op), intList(a[1]!, op, 'padding', 2 * n), mode, 0, `aten::${op}`)));
    }
  }
  ops.push(aten('_pad_circular', '(Tensor self, SymInt[] pad)', (a) => pad(T(a[0]!, '_pad_circular'), intList(a[1]!, '_pad_circular', 'pad'), 'wrap', 0, 'aten::_pad_circular')));
  return ops;
}

export const poolOps: readonly AtenOp[] = [...windowPoolOps(), ...upsampleOps(), ...padOps()];
