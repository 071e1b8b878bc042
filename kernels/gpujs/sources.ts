// gpu.js kernel sources for the float32 products of the 'webgl' backend: a batched GEMM (MatMul,
// Gemm) and a 2-D convolution (Conv), each with the planner's fused epilogue (bias, residual,
// activation), and a copy kernel that uploads a constant weight once.
//
// Sources are strings, not JS functions: gpu.js reads a function's source text and translates it
// to GLSL, and a bundler or minifier rewriting that text (`0.0` printed as `0`, renamed locals,
// injected helpers) would change what it translates. Every kernel writes a flat 1-D output (the
// thread index is the output's flat index; gpu.js lays a long 1-D output out as a square-ish
// texture) and reads its inputs flat, so a texture written by one kernel is read by the next as
// it is. Index arithmetic runs in float32 in the shader: it is exact below 2^24, which
// gpuIndexLimit enforces (sizes are checked before a kernel is built).
//
// Geometry is baked in as constants (loop bounds must be constants in GLSL ES), so a kernel is
// built per geometry; the caller keeps it for the node.

import type { GemmActivation } from '../gemm-f32.js';

/** The largest flat index the shaders compute exactly (float32 integers). */
export const GPU_INDEX_LIMIT = 2 ** 24;

/** Whether an activation has a shader form here (erf-based GELU has none: that node runs on the CPU). */
export function gpuActivationSupported(act: GemmActivation | undefined): boolean {
  return act === undefined || act.kind !== 'gelu';
}

/** A float literal GLSL accepts (always with a decimal point or exponent). */
export function lit(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`gpujs: a shader constant must be finite, got ${v}`);
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Statements applying `act` to the local `v` (see GemmActivation for each formula). */
function activationSource(act: GemmActivation | undefined): string {
  if (act === undefined) return '';
  switch (act.kind) {
    case 'none': return '';
    case 'relu': return 'v = Math.max(v, 0.0);';
    case 'clip': return `v = Math.min(Math.max(v, ${lit(act.min)}), ${lit(act.max)});`;
    case 'sigmoid': return 'v = 1.0 / (1.0 + Math.exp(-v));';
    case 'hardsigmoid': return `v = Math.min(Math.max(${lit(act.alpha)} * v + ${lit(act.beta)}, 0.0), 1.0);`;
    case 'hardswish': return 'v = v * Math.min(Math.max(v / 6.0 + 0.5, 0.0), 1.0);';
    case 'silu': return 'v = v / (1.0 + Math.exp(-v));';
    // tanh's argument clamped to ±10 (tanh(10) is 1 in float32): GLSL's tanh of a large argument
    // can be Inf / Inf = NaN.
    case 'gelu-tanh': return 'v = 0.5 * v * (1.0 + Math.tanh(Math.min(Math.max(0.7978845608028654 * (v + 0.044715 * v * v * v), -10.0), 10.0)));';
    case 'leakyrelu': return `if (v < 0.0) { v = ${lit(act.alpha)} * v; }`;
    case 'gelu': throw new RangeError('gpujs: erf-based gelu has no shader form (check gpuActivationSupported first)');
  }
}

/**
 * One GEMM of a batch: C[b] = act(alpha * op(A[b]) @ op(B[b]) + beta * bias + residual).
 * Element (i, p) of op(A[b]) is a[b * aBatch + i * aRow + p * aCol] (transposes are strides),
 * likewise B; bias element (i, j) is bias[i * biasRow + j * biasCol] (0 strides broadcast).
 */
export interface GemmShaderSpec {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly aBatch: number;
  readonly aRow: number;
  readonly aCol: number;
  readonly bBatch: number;
  readonly bRow: number;
  readonly bCol: number;
  readonly alpha: number;
  /** Absent: no bias input. */
  readonly bias?: { readonly scale: number; readonly row: number; readonly col: number };
  /** A residual of C's shape is added before the activation. */
  readonly residual: boolean;
  readonly activation?: GemmActivation;
}

/** The kernel source for a GemmShaderSpec: arguments (a, b, bias, residual); unused ones get a 1-element array. */
export function gemmShaderSource(s: GemmShaderSpec): string {
  const bias = s.bias ? `v += ${lit(s.bias.scale)} * bias[row * ${s.bias.row}.0 + col * ${s.bias.col}.0];` : '';
  const residual = s.residual ? 'v += res[i];' : '';
  return `function (a, b, bias, res) {
  const i = this.thread.x;
  const bt = Math.floor((i + 0.5) / ${s.m * s.n}.0);
  const r = i - bt * ${s.m * s.n}.0;
  const row = Math.floor((r + 0.5) / ${s.n}.0);
  const col = r - row * ${s.n}.0;
  const aBase = bt * ${s.aBatch}.0 + row * ${s.aRow}.0;
  const bBase = bt * ${s.bBatch}.0 + col * ${s.bCol}.0;
  let sum = 0.0;
  for (let p = 0; p < ${s.k}; p++) {
    sum += a[aBase + p * ${s.aCol}.0] * b[bBase + p * ${s.bRow}.0];
  }
  let v = ${lit(s.alpha)} * sum;
  ${bias}
  ${residual}
  ${activationSource(s.activation)}
  return v;
}`;
}

/**
 * A 2-D convolution over NCHW, groups, strides, dilations and leading pads (trailing pads only
 * shape the output), with bias per output channel, a Y-shaped residual and the activation.
 */
export interface Conv2dShaderSpec {
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly group: number;
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padH: number;
  readonly padW: number;
  readonly bias: boolean;
  readonly residual: boolean;
  readonly activation?: GemmActivation;
}

/** The kernel source for a Conv2dShaderSpec: arguments (x, w, bias, residual). */
export function conv2dShaderSource(s: Conv2dShaderSpec): string {
  const cg = s.inChannels / s.group;
  const mg = s.outChannels / s.group;
  const bias = s.bias ? 'v += bias[m];' : '';
  const residual = s.residual ? 'v += res[i];' : '';
  return `function (x, w, bias, res) {
  const i = this.thread.x;
  const t1 = Math.floor((i + 0.5) / ${s.outW}.0);
  const ow = i - t1 * ${s.outW}.0;
  const t2 = Math.floor((t1 + 0.5) / ${s.outH}.0);
  const oh = t1 - t2 * ${s.outH}.0;
  const nb = Math.floor((t2 + 0.5) / ${s.outChannels}.0);
  const m = t2 - nb * ${s.outChannels}.0;
  const g = Math.floor((m + 0.5) / ${mg}.0);
  const xBase = (nb * ${s.inChannels}.0 + g * ${cg}.0) * ${s.inH * s.inW}.0;
  const wBase = m * ${cg * s.kH * s.kW}.0;
  const ih0 = oh * ${s.strideH}.0 - ${s.padH}.0;
  const iw0 = ow * ${s.strideW}.0 - ${s.padW}.0;
  let sum = 0.0;
  for (let c = 0; c < ${cg}; c++) {
    for (let kh = 0; kh < ${s.kH}; kh++) {
      const ih = ih0 + kh * ${s.dilationH}.0;
      if (ih >= 0.0 && ih < ${s.inH}.0) {
        for (let kw = 0; kw < ${s.kW}; kw++) {
          const iw = iw0 + kw * ${s.dilationW}.0;
          if (iw >= 0.0 && iw < ${s.inW}.0) {
            sum += x[xBase + (c * ${s.inH}.0 + ih) * ${s.inW}.0 + iw] * w[wBase + (c * ${s.kH}.0 + kh) * ${s.kW}.0 + kw];
          }
        }
      }
    }
  }
  let v = sum;
  ${bias}
  ${residual}
  ${activationSource(s.activation)}
  return v;
}`;
}

/** Copies a flat array into the kernel's output texture (a constant weight, uploaded once). */
export const COPY_SHADER_SOURCE = `function (a) {
  return a[this.thread.x];
}`;
