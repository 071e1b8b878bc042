// Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, _convolution and convolution.
// Float32 convolutions call the conv kernels directly (kernels/conv-f32.ts, and
// kernels/winograd-f32.ts where it is faster, as the ONNX Conv chooses) with the weight packed
// once per weight tensor (prepared.ts); other types and transposed convolutions go through the
// ONNX Conv / ConvTranspose ops.

import type { ConvGeometry } from '../../kernels/conv.js';
import type { GemmActivation } from '../../kernels/gemm-f32.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { boolArg, intArg, intList, optTensor, strArg, tensorArg } from './args.js';
import { checkTensorElements } from './budget.js';
import { aten } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { convWithPackedWeight } from './prepared.js';

const T = (v: TsValue, op: string, name = 'input'): Tensor => tensorArg(v, op, name);
const I = (v: TsValue, op: string, name: string): number => intArg(v, op, name);
const fmt = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

export interface ConvArgs {
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly transposed: boolean;
  readonly outputPadding: number[];
}

/**
 * The geometry of a float32 convolution of batched `x` by `w` with explicit pads, checked the
 * way PyTorch checks it (channels against groups, the dilated kernel against the padded input).
 */
function convGeometry(
  x: Tensor, w: Tensor, stride: readonly number[], dilation: readonly number[], begin: readonly number[],
  end: readonly number[], groups: number, op: string,
): { g: ConvGeometry; outDims: number[] } {
  const spatial = w.rank - 2;
  const [batch, inChannels] = [x.dims[0]!, x.dims[1]!];
  const outChannels = w.dims[0]!;
  if (groups < 1) throw new InvalidNodeError(`${op}: non-positive groups ${groups} is not supported`);
  if (inChannels !== w.dims[1]! * groups || outChannels % groups !== 0) {
    throw new ShapeError(
      `${op}: input ${fmt(x.dims)} and weight ${fmt(w.dims)} do not fit groups=${groups} ` +
        '(need input channels = weight.size(1) * groups and weight.size(0) divisible by groups)',
    );
  }
  const inSize = x.dims.slice(2);
  const kernel = w.dims.slice(2);
  const outSize: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const [s, d, pb, pe] = [stride[i]!, dilation[i]!, begin[i]!, end[i]!];
    if (!(s >= 1) || !(d >= 1)) throw new InvalidNodeError(`${op}: stride ${fmt(stride)} and dilation ${fmt(dilation)} must be positive`);
    if (!(pb >= 0) || !(pe >= 0)) throw new InvalidNodeError(`${op}: negative padding ${fmt([...begin, ...end])} is not supported`);
    const extent = (kernel[i]! - 1) * d + 1;
    const padded = inSize[i]! + pb + pe;
    if (padded < extent) {
      throw new ShapeError(`${op}: the padded input ${fmt(inSize.map((n, k) => n + begin[k]! + end[k]!))} is smaller than the dilated kernel ${fmt(kernel.map((k, j) => (k - 1) * dilation[j]! + 1))}`);
    }
    outSize.push(Math.floor((padded - extent) / s) + 1);
  }
  const g: ConvGeometry = {
    batch, inChannels, outChannels, group: groups, inSize, outSize, kernel, strides: [...stride], dilations: [...dilation], padsBegin: [...begin],
  };
  return { g, outDims: [batch, outChannels, ...outSize] };
}

/** What the TorchScript interpreter's fusions add to a conv: a residual of the output's shape, then an activation. */
export interface ConvFusion {
  readonly residual?: Tensor;
  readonly activation?: GemmActivation;
}

/**
 * act(conv(x, w) + bias + residual) for float32 x, w and bias ([M] or none): the packed-weight
 * kernel; null, having computed nothing, when `fused` has a residual that is not float32 of the
 * output's dims.
 */
function convFloat32(
  x: Tensor, w: Tensor, bias: Tensor | null, stride: number[], dilation: number[], begin: number[], end: number[], groups: number, op: string,
  fused?: ConvFusion,
): Tensor | null {
  const { g, outDims } = convGeometry(x, w, stride, dilation, begin, end, groups, op);
  let size = 1;
  for (const d of outDims) size *= d;
  checkTensorElements(size, () => `${op} output of shape ${fmt(outDims)}`);
  const y = new Float32Array(size);
  const r = fused?.residual;
  if (r !== undefined && (r.type !== 'float32' || r.dims.length !== outDims.length || r.dims.some((d, i) => d !== outDims[i]))) return null;
  convWithPackedWeight(x.data as Float32Array, w, y, g, {
    bias: bias === null ? null : (bias.data as Float32Array),
    ...(r !== undefined ? { residual: r.data as Float32Array } : {}),
    ...(fused?.activation ? { activation: fused.activation } : {}),
  });
  return new Tensor('float32', y, outDims);
}

/** PyTorch convolution over N x C x spatial (or unbatched C x spatial) input. */
export function convolution(x: Tensor, w: Tensor, bias: Tensor | null, a: ConvArgs, op: string): Tensor {
  return convolutionThen(x, w, bias, a, op)!;
}

/**
 * activation(convolution(...) + residual) in the conv kernel's epilogue (the TorchScript
 * interpreter's fusions, src/runtime/torchscript/fuse-conv-bn.ts), or null where the float32
 * kernel does not run this conv or the residual is not of its output's shape (then the caller
 * runs the ops as written).
 */
export function convolutionFused(x: Tensor, w: Tensor, bias: Tensor | null, a: ConvArgs, fused: ConvFusion, op: string): Tensor | null {
  return convolutionThen(x, w, bias, a, op, fused);
}

/**
 * The arguments after input, weight and bias of `aten::_convolution` (stride, padding, dilation,
 * transposed, output_padding, groups, ...) or `aten::conv{1,2,3}d` (stride, padding, dilation,
 * groups), as ConvArgs; null for anything else.
 */
export function convArgsOf(op: string, rest: readonly TsValue[]): ConvArgs | null {
  try {
    if (op === 'aten::_convolution' && rest.length >= 6) {
      return {
        stride: intList(rest[0]!, op, 'stride'), padding: intList(rest[1]!, op, 'padding'), dilation: intList(rest[2]!, op, 'dilation'),
        transposed: boolArg(rest[3]!, op, 'transposed'), outputPadding: intList(rest[4]!, op, 'output_padding'), groups: I(rest[5]!, op, 'groups'),
      };
    }
    const n = /^aten::conv([123])d$/.exec(op)?.[1];
    if (n !== undefined && rest.length === 4 && typeof rest[1] !== 'string') {
      return {
        stride: intList(rest[0]!, op, 'stride', Number(n)), padding: intList(rest[1]!, op, 'padding', Number(n)),
        dilation: intList(rest[2]!, op, 'dilation', Number(n)), groups: I(rest[3]!, op, 'groups'), transposed: false, outputPadding: [0],
      };
    }
  } catch {
    // arguments of other types: the caller runs the call as written, which reports them
  }
  return null;
}

function convolutionThen(x: Tensor, w: Tensor, bias: Tensor | null, a: ConvArgs, op: string, fused?: ConvFusion): Tensor | null {
  const spatial = w.rank - 2;
  if (spatial < 1) throw new ShapeError(`${op}: weight must have at least 3 dimensions, got [${w.dims.join(', ')}]`);
  const unbatched = x.rank === spatial + 1;
  if (!unbatched && x.rank !== spatial + 2) {
    throw new ShapeError(`${op}: expected a ${spatial + 1}D or ${spatial + 2}D input for weight [${w.dims.join(', ')}], got [${x.dims.join(', ')}]`);
  }
  const xin = unbatched ? x.reshape([1, ...x.dims]) : x;
  const fit = (v: readonly number[]) => (v.length === 1 && spatial > 1 ? new Array<number>(spatial).fill(v[0]!) : [...v]);
  const stride = fit(a.stride);
  const dilation = fit(a.dilation);
  const kernel = w.dims.slice(2);
  let begin: number[];
  let end: number[];
  if (a.padding === 'valid') begin = end = new Array<number>(spatial).fill(0);
  else if (a.padding === 'same') {
    begin = kernel.map((k, i) => Math.floor((dilation[i]! * (k - 1)) / 2));
    end = kernel.map((k, i) => dilation[i]! * (k - 1) - begin[i]!);
  } else begin = end = fit(a.padding);
  let y: Tensor;
  const fast = !a.transposed && spatial <= 3 && xin.type === 'float32' && w.type === 'float32'
    && stride.length === spatial && dilation.length === spatial && begin.length === spatial
    && (bias === null || (bias.type === 'float32' && bias.rank === 1 && bias.dims[0] === w.dims[0]));
  if (fused !== undefined && (!fast || unbatched)) return null;
  if (fast) {
    const r = convFloat32(xin, w, bias, stride, dilation, begin, end, a.groups, op, fused);
    if (r === null) return null;
    y = r;
  } else {
    const attrs = { strides: stride, dilations: dilation, pads: [...begin, ...end], group: a.groups, kernel_shape: kernel };
    const inputs = bias === null ? [xin, w] : [xin, w, bias];
    y = a.transposed
      ? onnx1('ConvTranspose', inputs, { ...attrs, output_padding: fit(a.outputPadding) })
      : onnx1('Conv', inputs, attrs);
  }
  return unbatched ? y.reshape(y.dims.slice(1)) : y;
}

export function convOps(): AtenOp[] {
  const ops: AtenOp[] = [];
  for (const n of [1, 2, 3]) {
    const name = `conv${n}d`;
    const run = (a: readonly TsValue[], padding: ConvArgs['padding']) => convolution(
      T(a[0]!, name), T(a[1]!, name, 'weight'), optTensor(a[2]!, name, 'bias'),
      { stride: intList(a[3]!, name, 'stride', n), padding, dilation: intList(a[5]!, name, 'dilation', n),
        groups: I(a[6]!, name, 'groups'), transposed: false, outputPadding: [0] }, `aten::${name}`);
    ops.push(
      aten(name, `(Tensor input, Tensor weight, Tensor? bias=None, int[${n}] stride=1, int[${n}] padding=0, int[${n}] dilation=1, int groups=1)`,
        (a) => run(a, intList(a[4]!, name, 'padding', n))),
      aten(name, `(Tensor input, Tensor weight, Tensor? bias=None, int[${n}] stride=1, str padding="valid", int[${n}] dilation=1, int groups=1)`,
        (a) => {
          const p = strArg(a[4]!, name, 'padding');
          if (p !== 'same' && p !== 'valid') throw new InvalidNodeError(`aten::${name}: padding must be 'same' or 'valid', got '${p}'`);
          return run(a, p);
        }),
    );
    const tname = `conv_transpose${n}d`;
    ops.push(aten(tname,
      `(Tensor input, Tensor weight, Tensor? bias=None, int[${n}] stride=1, int[${n}] padding=0, int[${n}] output_padding=0, int groups=1, int[${n}] dilation=1)`,
      (a) => convolution(T(a[0]!, tname), T(a[1]!, tname, 'weight'), optTensor(a[2]!, tname, 'bias'), {
        stride: intList(a[3]!, tname, 'stride', n), padding: intList(a[4]!, tname, 'padding', n),
        outputPadding: intList(a[5]!, tname, 'output_padding', n), groups: I(a[6]!, tname, 'groups'),
        dilation: intList(a[7]!, tname, 'dilation', n), transposed: true,
      }, `aten::${tname}`)));
  }
  const general = (name: string) => (a: readonly TsValue[]) => convolution(
    T(a[0]!, name), T(a[1]!, name, 'weight'), optTensor(a[2]!, name, 'bias'), {
      stride: intList(a[3]!, name, 'stride'), padding: intList(a[4]!, name, 'padding'),
      dilation: intList(a[5]!, name, 'dilation'), transposed: boolArg(a[6]!, name, 'transposed'),
      outputPadding: intList(a[7]!, name, 'output_padding'), groups: I(a[8]!, name, 'groups'),
    }, `aten::${name}`);
  const head = 'Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, bool transposed, int[] output_padding, int groups';
  ops.push(
    aten('_convolution', `(${head}, bool benchmark, bool deterministic, bool cudnn_enabled, bool allow_tf32)`, general('_convolution')),
    aten('_convolution', `(${head}, bool benchmark, bool deterministic, bool cudnn_enabled)`, general('_convolution')),
    aten('convolution', `(${head})`, general('convolution')),
    // What a traced conv with padding='same' or 'valid' records (the string padding of conv{1,2,3}d).
    aten('_convolution_mode', '(Tensor input, Tensor weight, Tensor? bias, int[] stride, str padding, int[] dilation, int groups)', (a) => {
      const name = '_convolution_mode';
      const p = strArg(a[4]!, name, 'padding');
      if (p !== 'same' && p !== 'valid') throw new InvalidNodeError(`aten::${name}: padding must be 'same' or 'valid', got '${p}'`);
      const stride = intList(a[3]!, name, 'stride');
      if (p === 'same' && stride.some((s) => s !== 1)) throw new InvalidNodeError(`aten::${name}: padding='same' is not supported for strided convolutions (stride ${fmt(stride)})`);
      return convolution(T(a[0]!, name), T(a[1]!, name, 'weight'), optTensor(a[2]!, name, 'bias'), {
        stride: intList(a[3]!, name, 'stride'), padding: p, dilation: intList(a[5]!, name, 'dilation'),
        groups: I(a[6]!, name, 'groups'), transposed: false, outputPadding: [0],
      }, `aten::${name}`);
    }),
  );
  return ops;
}
