// gpu.js kernel sources for the elementwise ops of the 'webgl' backend: Add, Sub, Mul and Div
// with numpy broadcasting, and unary maps (Relu, Sigmoid, Clip, Tanh, Exp, ...), so that the
// values between two convolutions stay in textures. Like sources.ts: strings, one flat 1-D output
// (thread index = output's flat index), inputs read flat, geometry baked in as constants.
//
// Broadcasting is strides: the output's dims, merged where every input continues contiguously
// (or keeps repeating) across the boundary, and per input one stride per merged dim (0 where it
// repeats). A same-shape or scalar operand then reads at `i` or at 0 with no index arithmetic.

import { collapseBroadcast } from '../elementwise-binary-plan.js';
import { shapeSize } from '../strides.js';
import { lit } from './sources.js';

export type GpuBinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div';

/**
 * The unary ops with a shader form: activations, math functions, and Clip (alpha = min, beta = max).
 * Not Sin and Cos: SwiftShader's are off by ~2e-4 on the suite's inputs (GLSL leaves their
 * precision to the device), where the CPU is exact to float32.
 */
export type GpuUnaryOp =
  | 'Relu' | 'LeakyRelu' | 'Elu' | 'Selu' | 'Celu' | 'GeluTanh' | 'Sigmoid' | 'HardSigmoid' | 'HardSwish'
  | 'Tanh' | 'Softplus' | 'Softsign' | 'ThresholdedRelu' | 'Swish'
  | 'Abs' | 'Neg' | 'Reciprocal' | 'Sqrt' | 'Exp' | 'Log' | 'Floor' | 'Ceil'
  | 'Clip';

const BINARY: ReadonlySet<string> = new Set<GpuBinaryOp>(['Add', 'Sub', 'Mul', 'Div']);

/** The value of `v` after op (GLSL through gpu.js; parameters are shader constants). */
const UNARY: Readonly<Record<GpuUnaryOp, (alpha: number, beta: number, gamma: number) => string>> = {
  Relu: () => 'v = Math.max(v, 0.0);',
  LeakyRelu: (a) => `if (v < 0.0) { v = ${lit(a)} * v; }`,
  // exp(v) - 1 for expm1: absolute error ~1e-7 near 0 (see the tolerance in the tests).
  Elu: (a) => `if (v < 0.0) { v = ${lit(a)} * (Math.exp(v) - 1.0); }`,
  Selu: (a, _b, g) => `if (v <= 0.0) { v = ${lit(g * a)} * (Math.exp(v) - 1.0); } else { v = ${lit(g)} * v; }`,
  Celu: (a) => `if (v < 0.0) { v = ${lit(a)} * (Math.exp(v / ${lit(a)}) - 1.0); }`,
  // tanh's argument clamped to ±10 as in sources.ts (GLSL tanh of a large argument can be NaN).
  GeluTanh: () => 'v = 0.5 * v * (1.0 + Math.tanh(Math.min(Math.max(0.7978845608028654 * (v + 0.044715 * v * v * v), -10.0), 10.0)));',
  Sigmoid: () => 'v = 1.0 / (1.0 + Math.exp(-v));',
  HardSigmoid: (a, b) => `v = Math.min(Math.max(${lit(a)} * v + ${lit(b)}, 0.0), 1.0);`,
  HardSwish: (a, b) => `v = v * Math.min(Math.max(${lit(a)} * v + ${lit(b)}, 0.0), 1.0);`,
  Tanh: () => 'v = Math.tanh(Math.min(Math.max(v, -10.0), 10.0));',
  // log(1 + exp(v)) without overflow: v + log(1 + exp(-v)) for v > 0.
  Softplus: () => 'if (v > 0.0) { v = v + Math.log(1.0 + Math.exp(-v)); } else { v = Math.log(1.0 + Math.exp(v)); }',
  Softsign: () => 'v = v / (1.0 + Math.abs(v));',
  ThresholdedRelu: (a) => `if (v <= ${lit(a)}) { v = 0.0; }`,
  Swish: (a) => `v = v / (1.0 + Math.exp(-${lit(a)} * v));`,
  Abs: () => 'v = Math.abs(v);',
  Neg: () => 'v = -v;',
  Reciprocal: () => 'v = 1.0 / v;',
  Sqrt: () => 'v = Math.sqrt(v);',
  Exp: () => 'v = Math.exp(v);',
  Log: () => 'v = Math.log(v);',
  Floor: () => 'v = Math.floor(v);',
  Ceil: () => 'v = Math.ceil(v);',
  // An infinite bound is no bound (a shader constant must be finite).
  Clip: (lo, hi) => `${lo === -Infinity ? '' : `v = Math.max(v, ${lit(lo)});`} ${hi === Infinity ? '' : `v = Math.min(v, ${lit(hi)});`}`,
};

/** Whether `op` (an ONNX op or ActivationOp name) has a unary shader here. */
export function gpuUnarySupported(op: string): op is GpuUnaryOp {
  return Object.hasOwn(UNARY, op);
}

/** Whether `op` has a binary shader here. */
export function gpuBinarySupported(op: string): op is GpuBinaryOp {
  return BINARY.has(op);
}

/**
 * One elementwise kernel: output element i (of shapeSize(dims)) is op over the inputs, input j
 * read at sum over d of coord_d(i) * strides[j][d]. Unary ops have one input, binary two.
 */
export interface ElementwiseShaderSpec {
  readonly op: GpuBinaryOp | GpuUnaryOp;
  /** The output's dims, merged (see elementwiseSpec); [] for a scalar. */
  readonly dims: readonly number[];
  /** Per input, per merged dim, its stride (0: broadcast). */
  readonly strides: readonly (readonly number[])[];
  /** Parameters of unary ops (ActivationOp's alpha, beta, gamma; Clip's min and max). */
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
}

/**
 * The spec of `op` over inputs of shapes `inputs` broadcast to `outDims` (which the caller
 * checked): size-1 dims dropped, neighbours merged where every input reads on across them.
 */
export function elementwiseSpec(
  op: GpuBinaryOp | GpuUnaryOp, inputs: readonly (readonly number[])[], outDims: readonly number[], alpha = 0, beta = 0, gamma = 0,
): ElementwiseShaderSpec {
  const { dims, strides } = collapseBroadcast(inputs, outDims);
  return { op, dims, strides, alpha, beta, gamma };
}

/** Output elements of a spec. */
export function elementwiseSize(s: ElementwiseShaderSpec): number {
  return shapeSize(s.dims);
}

/** The index expression of input j: `i` when it reads the output's order, else from coordinates. */
function indexOf(s: ElementwiseShaderSpec, j: number): string {
  const st = s.strides[j]!;
  const size = elementwiseSize(s);
  // Contiguous over the whole output: strides are the output's own.
  let contiguous = true;
  let expect = 1;
  for (let d = s.dims.length - 1; d >= 0; d--) {
    if (st[d] !== expect) contiguous = false;
    expect *= s.dims[d]!;
  }
  if (contiguous || size === 1) return 'i';
  if (st.every((x) => x === 0)) return '0.0';
  return st.map((x, d) => (x === 0 ? '' : `c${d} * ${x}.0`)).filter(Boolean).join(' + ');
}

/** The kernel source for an ElementwiseShaderSpec: arguments (a) or (a, b). */
export function elementwiseShaderSource(s: ElementwiseShaderSpec): string {
  const binary = gpuBinarySupported(s.op);
  const n = s.dims.length;
  const ia = indexOf(s, 0);
  const ib = binary ? indexOf(s, 1) : '';
  // Coordinates, last dim first, only when an input needs them.
  const coords: string[] = [];
  if ((ia !== 'i' && ia !== '0.0') || (binary && ib !== 'i' && ib !== '0.0')) {
    coords.push('let rest = i;');
    for (let d = n - 1; d > 0; d--) {
      coords.push(`const q${d} = Math.floor((rest + 0.5) / ${s.dims[d]}.0);`, `const c${d} = rest - q${d} * ${s.dims[d]}.0;`, `rest = q${d};`);
    }
    coords.push('const c0 = rest;');
  }
  if (binary) {
    const opSign = { Add: '+', Sub: '-', Mul: '*', Div: '/' }[s.op as GpuBinaryOp];
    return `function (a, b) {
  const i = this.thread.x;
  ${coords.join('\n  ')}
  return a[${ia}] ${opSign} b[${ib}];
}`;
  }
  return `function (a) {
  const i = this.thread.x;
  ${coords.join('\n  ')}
  let v = a[${ia}];
  ${UNARY[s.op as GpuUnaryOp](s.alpha, s.beta, s.gamma)}
  return v;
}`;
}
