// The 'webgl' execution provider: MatMul, Gemm and Conv as gpu.js kernels (kernels/gpujs/) on
// float32 textures, and the ops that sit between them in a CNN (Add/Sub/Mul/Div with broadcasting,
// activations and math functions, Clip, MaxPool/AveragePool, GlobalAveragePool/GlobalMaxPool,
// Softmax/LogSoftmax; Reshape, Flatten, Squeeze and Unsqueeze as views of the same texture), values
// kept on the GPU between consecutive GPU ops and read back only when something on the CPU reads
// them (a CPU op, the graph's outputs).
//
// Where an op runs follows the data, as tfjs's webgl backend decides: a product (MatMul, Gemm,
// Conv) whose inputs are all on the CPU runs on the GPU from DEFAULT_MIN_GPU_MULTIPLY_ADDS up; any
// op with a GPU kernel whose input is already in a texture runs on the GPU whatever its size (the
// alternative reads the texture back, and uploads the result again for the next GPU op); an elementwise,
// pool or softmax op whose inputs are all on the CPU stays there (a GPU op between CPU ops costs
// ~0.9 ms on SwiftShader, what the JS kernels need for ~2^20 multiply-adds: more than such an op).
//
// gpu.js is an optional peer dependency and never imported statically: the provider takes the
// GPU class from the option `{ name: 'webgl', GPU }`, else from `globalThis.GPU` (gpu.js's browser
// script sets it), else from `import('gpu.js')` through a specifier bundlers leave alone. It runs
// where gpu.js finds WebGL2 (browsers) or headless-gl (Node with the `gl` package built), and only
// with float32 render targets (precision 'single'): never on gpu.js's CPU fallback.
//
// A value the GPU computed is a ResidentTensor: a Tensor whose `data` is read back from its
// texture on first access (its reshapes share the texture and the values read). Each GPU node
// keeps its own kernel, whose output texture the next call overwrites: before a kernel runs again within a run, its previous output is read back if
// nothing has read it yet; when a run ends, the session reads the graph's outputs and every
// other texture of the run is let go (reading one afterwards is an ExecutionError).

import { GpuJsDevice, type GpuJsArgument, type GpuJsClass, type GpuJsKernel, type GpuJsTexture, type GpuTransferCounts } from '../../kernels/gpujs/device.js';
import { type ElementwiseShaderSpec, elementwiseShaderSource, elementwiseSize } from '../../kernels/gpujs/elementwise.js';
import {
  type GlobalPoolShaderSpec, type PoolShaderSpec, type SoftmaxShaderSpec, globalPoolShaderSource, poolShaderSource, poolSize,
  poolWindowsNonEmpty, softmaxShaderSource,
} from '../../kernels/gpujs/pool.js';
import { type Conv2dShaderSpec, GPU_INDEX_LIMIT, type GemmShaderSpec, gpuActivationSupported } from '../../kernels/gpujs/sources.js';
import { shapeSize } from '../../kernels/strides.js';
import type { GpuProducts } from '../../ops/engine.js';
import { ExecutionError, InvalidArgumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { GpuBuffer, ResidentTensor } from './resident-tensor.js';

export { ResidentTensor } from './resident-tensor.js';

/**
 * Products with fewer multiply-adds than this stay on the CPU by default. Measured with
 * bench/webgl-threshold.ts (headless Chromium, SwiftShader): a GPU op between CPU ops costs about
 * 0.9 ms however small (upload, draw, readback: a 8x8 MatMul took 0.87 ms), which the JS kernels
 * spend on about 2^20 multiply-adds (128^3: 1.07 ms). Below that even an infinitely fast GPU
 * loses; above it a real GPU can win. (On SwiftShader itself the GPU path never wins: ~45x the
 * JS kernels' time from 24^3 up; it is there to prove the path, not for speed.)
 */
export const DEFAULT_MIN_GPU_MULTIPLY_ADDS = 2 ** 20;

/** `{ name: 'webgl', GPU?, minMultiplyAdds?, minElements? }`: the provider's options. */
export interface WebGLProviderOptions {
  /** gpu.js's GPU class (`import { GPU } from 'gpu.js'`). */
  readonly GPU?: unknown;
  /**
   * Products (MatMul, Gemm, Conv) whose inputs are all on the CPU and that have fewer multiply-adds
   * than this run on the CPU (default DEFAULT_MIN_GPU_MULTIPLY_ADDS; 0: every supported one on the GPU).
   */
  readonly minMultiplyAdds?: number;
  /**
   * Elementwise, pool and softmax ops whose inputs are all on the CPU run on the GPU from this many
   * output elements (default Infinity: they only follow values already on the GPU; 0: always).
   */
  readonly minElements?: number;
}

/** Where the provider draws the line between CPU and GPU (see WebGLProviderOptions). */
export interface WebGLThresholds {
  readonly minMultiplyAdds: number;
  readonly minElements: number;
}

/** The thresholds `options` set, checked; `where` names the call for the error. */
export function webglThresholds(options: WebGLProviderOptions | undefined, where: string): WebGLThresholds {
  const minMultiplyAdds = options?.minMultiplyAdds ?? DEFAULT_MIN_GPU_MULTIPLY_ADDS;
  const minElements = options?.minElements ?? Infinity;
  for (const [name, v] of [['minMultiplyAdds', minMultiplyAdds], ['minElements', minElements]] as const) {
    if (typeof v !== 'number' || !(v >= 0)) {
      throw new InvalidArgumentError(`${where}: the webgl provider's ${name} must be a number >= 0, got ${String(v)}`);
    }
  }
  return { minMultiplyAdds, minElements };
}

function isGpuClass(v: unknown): v is GpuJsClass {
  return typeof v === 'function' && typeof (v as { prototype?: { createKernel?: unknown } }).prototype?.createKernel === 'function';
}

let imported: Promise<GpuJsClass | string> | undefined;

/** gpu.js's GPU class from `import('gpu.js')`, or why it could not be had (once per process). */
export function importGpuJs(): Promise<GpuJsClass | string> {
  imported ??= (async () => {
    // A variable, so that bundlers leave gpu.js out of tessera's bundle (it is optional).
    const specifier = 'gpu.js';
    try {
      const m = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as { GPU?: unknown; default?: { GPU?: unknown } };
      const GPU = m.GPU ?? m.default?.GPU;
      return isGpuClass(GPU) ? GPU : 'the gpu.js module has no GPU class';
    } catch (e) {
      return `gpu.js could not be imported (${(e as Error)?.message ?? String(e)})`;
    }
  })();
  return imported;
}

/** The GPU class the options or the page provide, without importing anything (undefined: none). */
export function providedGpuClass(options: WebGLProviderOptions | undefined): GpuJsClass | undefined {
  if (options?.GPU !== undefined) return isGpuClass(options.GPU) ? options.GPU : undefined;
  const g = (globalThis as { GPU?: unknown }).GPU;
  return isGpuClass(g) ? g : undefined;
}

/** The gpu.js mode to create the GPU with on this host, or why the provider cannot run here. */
export function webglMode(GPU: GpuJsClass): { mode: 'webgl2' | 'headlessgl' } | { reason: string } {
  let mode: 'webgl2' | 'headlessgl';
  try {
    if (GPU.isWebGL2Supported) mode = 'webgl2';
    else if (GPU.isHeadlessGLSupported) mode = 'headlessgl';
    else return { reason: 'gpu.js finds no WebGL2 here (and, in Node, no headless-gl: the optional `gl` package is not built)' };
    if (!GPU.isSinglePrecisionSupported) {
      return { reason: 'WebGL here cannot render to float32 textures (no EXT_color_buffer_float): the GPU kernels need precision single' };
    }
  } catch (e) {
    return { reason: `gpu.js could not probe WebGL (${(e as Error)?.message ?? String(e)})` };
  }
  return { mode };
}

/** What a GPU node keeps: its kernel (built for one geometry) and its latest output. */
interface NodeKernel {
  readonly key: string;
  readonly kernel: GpuJsKernel;
  last: GpuBuffer | null;
}

/** The GpuProducts of one session on one gpu.js instance (created on the session's first run). */
export class WebGLProducts implements GpuProducts {
  private readonly nodes = new WeakMap<object, NodeKernel>();
  private readonly weights = new WeakMap<Tensor, GpuJsTexture>();
  private readonly outputs: GpuBuffer[] = [];
  /** Nodes (by name or first output) that ran on the GPU, for the profiler and tests. */
  readonly ranOnGpu = new Set<string>();

  constructor(readonly device: GpuJsDevice, readonly thresholds: WebGLThresholds) {}

  get counts(): GpuTransferCounts {
    return this.device.counts;
  }

  gemm(
    node: object, a: Tensor, b: Tensor, bias: Tensor | undefined, residual: Tensor | undefined,
    spec: GemmShaderSpec, outDims: readonly number[], constant: (input: number) => boolean,
  ): Tensor | null {
    const work = spec.batch * spec.m * spec.n * spec.k;
    if (!this.takes(work, spec.batch * spec.m * spec.n, [a, b, bias, residual], spec.activation)) return null;
    const nk = this.kernelFor(node, spec, () => this.device.gemmKernel(spec));
    return this.launch(node, nk, this.productArguments(a, b, bias, residual, constant), outDims);
  }

  conv2d(
    node: object, x: Tensor, w: Tensor, bias: Tensor | undefined, residual: Tensor | undefined,
    spec: Conv2dShaderSpec, outDims: readonly number[], constant: (input: number) => boolean,
  ): Tensor | null {
    const outputs = spec.batch * spec.outChannels * spec.outH * spec.outW;
    const work = outputs * (spec.inChannels / spec.group) * spec.kH * spec.kW;
    if (!this.takes(work, outputs, [x, w, bias, residual], spec.activation)) return null;
    const nk = this.kernelFor(node, spec, () => this.device.conv2dKernel(spec));
    return this.launch(node, nk, this.productArguments(x, w, bias, residual, constant), outDims);
  }

  elementwise(
    node: object, spec: ElementwiseShaderSpec, inputs: readonly Tensor[], outDims: readonly number[], constant: (input: number) => boolean,
  ): Tensor | null {
    const size = elementwiseSize(spec);
    if (!this.follows(inputs, size)) return null;
    const nk = this.kernelFor(node, spec, () => this.device.kernel(elementwiseShaderSource(spec), size));
    return this.launch(node, nk, inputs.map((t, j) => (constant(j) ? this.weight(t) : this.argument(t))), outDims);
  }

  pool(node: object, spec: PoolShaderSpec, x: Tensor, outDims: readonly number[]): Tensor | null {
    const size = poolSize(spec);
    if (!this.follows([x], size) || !poolWindowsNonEmpty(spec.geometry)) return null;
    const nk = this.kernelFor(node, spec, () => this.device.kernel(poolShaderSource(spec), size));
    return this.launch(node, nk, [this.argument(x)], outDims);
  }

  globalPool(node: object, spec: GlobalPoolShaderSpec, x: Tensor, outDims: readonly number[]): Tensor | null {
    if (spec.size === 0 || !this.follows([x], spec.channels)) return null;
    const nk = this.kernelFor(node, spec, () => this.device.kernel(globalPoolShaderSource(spec), spec.channels));
    return this.launch(node, nk, [this.argument(x)], outDims);
  }

  softmax(node: object, spec: SoftmaxShaderSpec, x: Tensor): Tensor | null {
    if (!this.follows([x], x.size)) return null;
    const nk = this.kernelFor(node, spec, () => this.device.kernel(softmaxShaderSource(spec), x.size));
    return this.launch(node, nk, [this.argument(x)], x.dims);
  }

  /** A buffer's values, read back from its texture the first time. */
  readBack(b: GpuBuffer): Float32Array {
    if (b.values === null) {
      if (b.texture === null) throw new ExecutionError('webgl: a GPU value was read after its run ended (tessera bug: graph outputs are read when a run ends)');
      b.values = this.device.read(b.texture, b.size);
    }
    return b.values;
  }

  /** Reads back the outputs a run returns and lets go of every other texture of the run. */
  endRun(results: readonly unknown[]): void {
    for (const r of results) if (r instanceof ResidentTensor && r.texture !== null) r.read();
    for (const b of this.outputs) b.texture = null;
    this.outputs.length = 0;
  }

  /** Whether `t` is a value in a texture of this session's that a kernel can read. */
  private resident(t: Tensor | undefined): boolean {
    return t instanceof ResidentTensor && t.owner === this && t.texture !== null;
  }

  /**
   * Whether a product goes to the GPU: an activation it has a shader for, sizes in its index
   * range, and either an input already there or at least minMultiplyAdds of work.
   */
  private takes(work: number, outputs: number, operands: readonly (Tensor | undefined)[], activation: GemmShaderSpec['activation']): boolean {
    if (work === 0 || outputs >= GPU_INDEX_LIMIT || !gpuActivationSupported(activation)) return false;
    for (const t of operands) if (t !== undefined && (t.type !== 'float32' || t.size >= GPU_INDEX_LIMIT)) return false;
    return work >= this.thresholds.minMultiplyAdds || operands.some((t) => this.resident(t));
  }

  /** Whether an elementwise, pool or softmax op goes to the GPU: float32, in range, not empty, and an input already there (or minElements outputs). */
  private follows(inputs: readonly Tensor[], outputs: number): boolean {
    if (outputs === 0 || outputs >= GPU_INDEX_LIMIT) return false;
    for (const t of inputs) if (t.type !== 'float32' || t.size === 0 || t.size >= GPU_INDEX_LIMIT) return false;
    return outputs >= this.thresholds.minElements || inputs.some((t) => this.resident(t));
  }

  private kernelFor(node: object, spec: object, build: () => GpuJsKernel): NodeKernel {
    const key = JSON.stringify(spec);
    let nk = this.nodes.get(node);
    if (nk === undefined || nk.key !== key) {
      nk = { key, kernel: build(), last: null };
      this.nodes.set(node, nk);
    }
    return nk;
  }

  /** A product's arguments: constant weight and bias as kept textures, the rest as they are. */
  private productArguments(
    a: Tensor, b: Tensor, bias: Tensor | undefined, residual: Tensor | undefined, constant: (input: number) => boolean,
  ): (GpuJsArgument | undefined)[] {
    return [
      this.argument(a), constant(1) ? this.weight(b) : this.argument(b),
      bias === undefined ? undefined : constant(2) ? this.weight(bias) : this.argument(bias),
      residual === undefined ? undefined : this.argument(residual),
    ];
  }

  private launch(node: object, nk: NodeKernel, args: readonly (GpuJsArgument | undefined)[], outDims: readonly number[]): ResidentTensor {
    // The kernel is about to overwrite its texture: keep the previous output's values if unread.
    const prev = nk.last;
    if (prev !== null && prev.texture !== null) {
      this.readBack(prev);
      prev.texture = null;
    }
    const out = new GpuBuffer(this.device.run(nk.kernel, ...args), shapeSize(outDims));
    nk.last = out;
    this.outputs.push(out);
    const n = node as { name?: string; outputs?: readonly string[] };
    this.ranOnGpu.add(n.name || n.outputs?.[0] || '?');
    return new ResidentTensor(this, out, outDims);
  }

  /** A tensor as a kernel argument: its texture while it has one, else its values (uploaded). */
  private argument(t: Tensor): GpuJsArgument {
    if (t instanceof ResidentTensor && t.owner === this && t.texture !== null) return t.texture;
    return t.data as Float32Array;
  }

  /** A constant's texture, uploaded on first use and kept for the session. */
  private weight(t: Tensor): GpuJsArgument {
    if (t instanceof ResidentTensor) return this.argument(t);
    let tex = this.weights.get(t);
    if (tex === undefined) {
      tex = this.device.upload(t.data as Float32Array);
      this.weights.set(t, tex);
    }
    return tex;
  }
}

/**
 * The session's 'webgl' provider: the GPU class and mode, with the gpu.js instance and its
 * WebGLProducts made on first use (so that resolving providers, which may run twice, costs no
 * WebGL context).
 */
export class WebGLProvider {
  private made: WebGLProducts | undefined;

  constructor(private readonly GPU: GpuJsClass, private readonly mode: 'webgl2' | 'headlessgl', private readonly thresholds: WebGLThresholds) {}

  /** The products of this session (the gpu.js instance is created on the first call). */
  products(): WebGLProducts {
    this.made ??= new WebGLProducts(new GpuJsDevice(new this.GPU({ mode: this.mode })), this.thresholds);
    return this.made;
  }

  /** Kernels run and values moved since the session was created (zeros before its first run). */
  get counts(): GpuTransferCounts {
    return this.made?.counts ?? { kernelRuns: 0, readbacks: 0, uploads: 0 };
  }

  /** Nodes that ran on the GPU so far (by node name, else first output name). */
  get gpuNodes(): readonly string[] {
    return [...(this.made?.ranOnGpu ?? [])];
  }

  /** Frees the gpu.js instance (its kernels and textures); a later run makes a new one. */
  destroy(): void {
    this.made?.device.destroy();
    this.made = undefined;
  }
}
