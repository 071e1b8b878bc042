// The 'webgl' execution provider: MatMul, Gemm and Conv as gpu.js kernels (kernels/gpujs/) on
// float32 textures, values kept on the GPU between consecutive GPU ops and read back only when
// something on the CPU reads them (a CPU op, the graph's outputs).
//
// gpu.js is an optional peer dependency and never imported statically: the provider takes the
// GPU class from the option `{ name: 'webgl', GPU }`, else from `globalThis.GPU` (gpu.js's browser
// script sets it), else from `import('gpu.js')` through a specifier bundlers leave alone. It runs
// where gpu.js finds WebGL2 (browsers) or headless-gl (Node with the `gl` package built), and only
// with float32 render targets (precision 'single'): never on gpu.js's CPU fallback.
//
// A value the GPU computed is a ResidentTensor: a Tensor whose `data` is read back from its
// texture on first access. Each GPU node keeps its own kernel, whose output texture the next
// call overwrites: before a kernel runs again within a run, its previous output is read back if
// nothing has read it yet; when a run ends, the session reads the graph's outputs and every
// other texture of the run is let go (reading one afterwards is an ExecutionError).

import { GpuJsDevice, type GpuJsArgument, type GpuJsClass, type GpuJsKernel, type GpuJsTexture, type GpuTransferCounts } from '../../kernels/gpujs/device.js';
import { type Conv2dShaderSpec, GPU_INDEX_LIMIT, type GemmShaderSpec, gpuActivationSupported } from '../../kernels/gpujs/sources.js';
import type { GpuProducts } from '../../ops/engine.js';
import { Tensor } from '../tensor.js';
import { ResidentTensor } from './resident-tensor.js';

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

/** `{ name: 'webgl', GPU?, minMultiplyAdds? }`: the provider's options. */
export interface WebGLProviderOptions {
  /** gpu.js's GPU class (`import { GPU } from 'gpu.js'`). */
  readonly GPU?: unknown;
  /** Products smaller than this run on the CPU (default DEFAULT_MIN_GPU_MULTIPLY_ADDS; 0: every supported one on the GPU). */
  readonly minMultiplyAdds?: number;
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
  last: ResidentTensor | null;
}

/** The GpuProducts of one session on one gpu.js instance (created on the session's first run). */
export class WebGLProducts implements GpuProducts {
  private readonly nodes = new WeakMap<object, NodeKernel>();
  private readonly weights = new WeakMap<Tensor, GpuJsTexture>();
  private readonly outputs: ResidentTensor[] = [];
  /** Nodes (by name or first output) that ran on the GPU, for the profiler and tests. */
  readonly ranOnGpu = new Set<string>();

  constructor(readonly device: GpuJsDevice, readonly minMultiplyAdds: number) {}

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
    return this.launch(node, nk, a, b, bias, residual, constant, outDims);
  }

  conv2d(
    node: object, x: Tensor, w: Tensor, bias: Tensor | undefined, residual: Tensor | undefined,
    spec: Conv2dShaderSpec, outDims: readonly number[], constant: (input: number) => boolean,
  ): Tensor | null {
    const outputs = spec.batch * spec.outChannels * spec.outH * spec.outW;
    const work = outputs * (spec.inChannels / spec.group) * spec.kH * spec.kW;
    if (!this.takes(work, outputs, [x, w, bias, residual], spec.activation)) return null;
    const nk = this.kernelFor(node, spec, () => this.device.conv2dKernel(spec));
    return this.launch(node, nk, x, w, bias, residual, constant, outDims);
  }

  /** Reads back the outputs a run returns and lets go of every other texture of the run. */
  endRun(results: readonly unknown[]): void {
    for (const r of results) if (r instanceof ResidentTensor && r.texture !== null) r.read();
    for (const t of this.outputs) t.texture = null;
    this.outputs.length = 0;
  }

  private takes(work: number, outputs: number, operands: readonly (Tensor | undefined)[], activation: GemmShaderSpec['activation']): boolean {
    if (work < this.minMultiplyAdds || work === 0 || outputs >= GPU_INDEX_LIMIT || !gpuActivationSupported(activation)) return false;
    for (const t of operands) if (t !== undefined && (t.type !== 'float32' || t.size >= GPU_INDEX_LIMIT)) return false;
    return true;
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

  private launch(
    node: object, nk: NodeKernel, a: Tensor, b: Tensor, bias: Tensor | undefined, residual: Tensor | undefined,
    constant: (input: number) => boolean, outDims: readonly number[],
  ): ResidentTensor {
    const args: [GpuJsArgument, GpuJsArgument, GpuJsArgument | undefined, GpuJsArgument | undefined] = [
      this.argument(a), constant(1) ? this.weight(b) : this.argument(b),
      bias === undefined ? undefined : constant(2) ? this.weight(bias) : this.argument(bias),
      residual === undefined ? undefined : this.argument(residual),
    ];
    // The kernel is about to overwrite its texture: keep the previous output's values if unread.
    const prev = nk.last;
    if (prev !== null && prev.texture !== null) {
      prev.read();
      prev.texture = null;
    }
    const out = new ResidentTensor(this, this.device.run(nk.kernel, ...args), outDims);
    nk.last = out;
    this.outputs.push(out);
    const n = node as { name?: string; outputs?: readonly string[] };
    this.ranOnGpu.add(n.name || n.outputs?.[0] || '?');
    return out;
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

  constructor(private readonly GPU: GpuJsClass, private readonly mode: 'webgl2' | 'headlessgl', private readonly minMultiplyAdds: number) {}

  /** The products of this session (the gpu.js instance is created on the first call). */
  products(): WebGLProducts {
    this.made ??= new WebGLProducts(new GpuJsDevice(new this.GPU({ mode: this.mode })), this.minMultiplyAdds);
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
