// gpu.js kernel sources for the pools and the softmax of the 'webgl' backend: MaxPool and
// AveragePool over up to three spatial dims (kernels/pool.ts's PoolGeometry), GlobalAveragePool
// and GlobalMaxPool, Softmax and LogSoftmax along one axis. Like sources.ts: strings, one flat 1-D
// output, inputs read flat, geometry baked in as constants (a kernel per geometry).

import type { PoolGeometry } from '../pool.js';
import { shapeSize } from '../strides.js';

/** A windowed pool; `geometry` is kernels/pool.ts's (three spatial dims, leading ones of size 1). */
export interface PoolShaderSpec {
  readonly kind: 'max' | 'average';
  readonly geometry: PoolGeometry;
  /** AveragePool's count_include_pad: divide by the taps inside the input and its pads. */
  readonly countIncludePad: boolean;
}

/** Output elements of a windowed pool. */
export function poolSize(s: PoolShaderSpec): number {
  return s.geometry.channels * shapeSize(s.geometry.outShape);
}

/**
 * Whether every window of `g` reads at least one input element. The CPU kernels give -Infinity
 * (max) or NaN (average) for an empty window; a shader cannot write those portably, so such
 * pools stay on the CPU.
 */
export function poolWindowsNonEmpty(g: PoolGeometry): boolean {
  for (let d = 0; d < 3; d++) {
    const k = g.kernel[d]!, s = g.strides[d]!, dil = g.dilations[d]!, pb = g.padsBegin[d]!, inSize = g.inShape[d]!;
    for (let o = 0; o < g.outShape[d]!; o++) {
      const start = o * s - pb;
      let any = false;
      for (let t = 0; t < k && !any; t++) any = start + t * dil >= 0 && start + t * dil < inSize;
      if (!any) return false;
    }
  }
  return true;
}

/**
 * The kernel source for a PoolShaderSpec: argument (x). A window position p = o * stride - pad +
 * t * dilation reads x when 0 <= p < in; max takes the first tap as its start (so -Infinity
 * inputs give -Infinity) and skips NaN after it; average divides by the taps inside the input,
 * or with count_include_pad by those before in + padEnd, as kernels/pool.ts does.
 */
export function poolShaderSource(s: PoolShaderSpec): string {
  const g = s.geometry;
  const [D, H, W] = g.inShape as [number, number, number];
  const [OD, OH, OW] = g.outShape as [number, number, number];
  const lines: string[] = [
    'const i = this.thread.x;',
    `const q2 = Math.floor((i + 0.5) / ${OW}.0);`, `const o2 = i - q2 * ${OW}.0;`,
    `const q1 = Math.floor((q2 + 0.5) / ${OH}.0);`, `const o1 = q2 - q1 * ${OH}.0;`,
    `const ch = Math.floor((q1 + 0.5) / ${OD}.0);`, `const o0 = q1 - ch * ${OD}.0;`,
    `const xBase = ch * ${D * H * W}.0;`,
    'let acc = 0.0;', 'let found = 0.0;', 'let padded = 0.0;',
  ];
  const open: string[] = [];
  const close: string[] = [];
  for (let d = 0; d < 3; d++) {
    open.push(
      `for (let t${d} = 0; t${d} < ${g.kernel[d]}; t${d}++) {`,
      `  const p${d} = o${d} * ${g.strides[d]}.0 - ${g.padsBegin[d]}.0 + t${d} * ${g.dilations[d]}.0;`,
    );
    close.push('}');
  }
  const inside = `p0 >= 0.0 && p0 < ${D}.0 && p1 >= 0.0 && p1 < ${H}.0 && p2 >= 0.0 && p2 < ${W}.0`;
  const read = `x[xBase + (p0 * ${H}.0 + p1) * ${W}.0 + p2]`;
  let body: string;
  let result: string;
  if (s.kind === 'max') {
    body = `if (${inside}) { const v = ${read}; if (found == 0.0 || v > acc) { acc = v; } found = 1.0; }`;
    result = 'return acc;';
  } else {
    const inPad = `p0 < ${D + g.padsEnd[0]!}.0 && p1 < ${H + g.padsEnd[1]!}.0 && p2 < ${W + g.padsEnd[2]!}.0`;
    body = `if (${inside}) { acc += ${read}; found += 1.0; }${s.countIncludePad ? ` if (${inPad}) { padded += 1.0; }` : ''}`;
    result = `return acc / ${s.countIncludePad ? 'padded' : 'found'};`;
  }
  return `function (x) {\n  ${lines.join('\n  ')}\n  ${open.join('\n  ')}\n  ${body}\n  ${close.join('')}\n  ${result}\n}`;
}

/** GlobalAveragePool / GlobalMaxPool: one output per channel over its `size` contiguous values. */
export interface GlobalPoolShaderSpec {
  readonly kind: 'average' | 'max';
  readonly channels: number;
  readonly size: number;
}

/** The kernel source for a GlobalPoolShaderSpec: argument (x). */
export function globalPoolShaderSource(s: GlobalPoolShaderSpec): string {
  const step = s.kind === 'average' ? 'acc += v;' : 'if (t == 0 || v > acc) { acc = v; }';
  const result = s.kind === 'average' ? `acc / ${s.size}.0` : 'acc';
  return `function (x) {
  const base = this.thread.x * ${s.size}.0;
  let acc = 0.0;
  for (let t = 0; t < ${s.size}; t++) {
    const v = x[base + t];
    ${step}
  }
  return ${result};
}`;
}

/** Softmax or LogSoftmax along the middle axis of a tensor viewed as [outer, n, inner]. */
export interface SoftmaxShaderSpec {
  readonly kind: 'Softmax' | 'LogSoftmax';
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

/**
 * The kernel source for a SoftmaxShaderSpec: argument (x). Each output element finds its row's
 * max and sum of exp(x - max) itself (n reads twice per element: the work is n^2 per row, fine
 * for class scores and attention rows of a few thousand).
 */
export function softmaxShaderSource(s: SoftmaxShaderSpec): string {
  const result = s.kind === 'Softmax' ? 'Math.exp(x[i] - m) / sum' : 'x[i] - m - Math.log(sum)';
  return `function (x) {
  const i = this.thread.x;
  const o = Math.floor((i + 0.5) / ${s.n * s.inner}.0);
  const j = i - o * ${s.n * s.inner}.0;
  const k = Math.floor((j + 0.5) / ${s.inner}.0);
  const base = i - k * ${s.inner}.0;
  let m = x[base];
  for (let t = 1; t < ${s.n}; t++) {
    m = Math.max(m, x[base + t * ${s.inner}.0]);
  }
  let sum = 0.0;
  for (let t = 0; t < ${s.n}; t++) {
    sum += Math.exp(x[base + t * ${s.inner}.0] - m);
  }
  return ${result};
}`;
}
