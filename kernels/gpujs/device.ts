// The part of gpu.js that the 'webgl' backend uses, typed structurally: nothing in tessera
// imports gpu.js statically (it is an optional peer dependency; the runtime receives the GPU class
// from the user or loads it on demand), so these interfaces describe what is used of it.
//
// GpuJsDevice builds kernels from kernels/gpujs/sources.ts on one gpu.js instance, in pipeline
// mode (outputs stay in float32 textures; precision 'single'), and counts what crosses between
// the CPU and the GPU.

import { COPY_SHADER_SOURCE, type Conv2dShaderSpec, type GemmShaderSpec, conv2dShaderSource, gemmShaderSource } from './sources.js';

/** A float32 texture a pipeline kernel wrote. */
export interface GpuJsTexture {
  toArray(): Float32Array | number[];
  delete(): void;
}

/** A built kernel: called with its arguments, returns its output texture (pipeline mode). */
export interface GpuJsKernel {
  (...args: unknown[]): GpuJsTexture;
  destroy?(removeCanvasReferences?: boolean): void;
}

export interface GpuJsKernelSettings {
  readonly output: readonly number[];
  readonly pipeline: boolean;
  readonly immutable?: boolean;
  readonly precision: 'single';
  readonly tactic?: 'speed' | 'balanced' | 'precision';
  readonly dynamicArguments?: boolean;
}

/** An instance of gpu.js's GPU class. */
export interface GpuJsInstance {
  readonly mode?: string;
  createKernel(source: string, settings: GpuJsKernelSettings): GpuJsKernel;
  destroy(): unknown;
}

/** gpu.js's GPU class (its statics say what the host supports). */
export interface GpuJsClass {
  new (settings?: { readonly mode?: string }): GpuJsInstance;
  readonly isWebGL2Supported?: boolean;
  readonly isHeadlessGLSupported?: boolean;
  readonly isSinglePrecisionSupported?: boolean;
}

/** Something a kernel reads: a flat float32 array (uploaded by gpu.js at the call) or a texture. */
export type GpuJsArgument = Float32Array | GpuJsTexture;

const ONE = new Float32Array(1);

/** What crossed between CPU and GPU since the device was made. */
export interface GpuTransferCounts {
  /** Kernels run (GEMM, conv, elementwise, pool, softmax). */
  kernelRuns: number;
  /** Texture reads back into a Float32Array. */
  readbacks: number;
  /** Float32Arrays handed to a kernel as input (uploaded by gpu.js at the call; weights once). */
  uploads: number;
}

/**
 * One gpu.js instance and the kernels built on it. Kernels are mutable pipeline kernels: each
 * call writes the same output texture, so a caller that keeps a kernel per node must not read an
 * earlier output after the next call (the runtime reads it back first).
 */
export class GpuJsDevice {
  readonly counts: GpuTransferCounts = { kernelRuns: 0, readbacks: 0, uploads: 0 };
  private readonly built: GpuJsKernel[] = [];

  constructor(readonly gpu: GpuJsInstance) {}

  /** A GEMM kernel for `spec` (see GemmShaderSpec), output batch * m * n floats. */
  gemmKernel(spec: GemmShaderSpec): GpuJsKernel {
    return this.build(gemmShaderSource(spec), [spec.batch * spec.m * spec.n]);
  }

  /** A conv kernel for `spec`, output batch * outChannels * outH * outW floats. */
  conv2dKernel(spec: Conv2dShaderSpec): GpuJsKernel {
    return this.build(conv2dShaderSource(spec), [spec.batch * spec.outChannels * spec.outH * spec.outW]);
  }

  /** A kernel for `source` (see elementwise.ts, pool.ts) writing `size` floats. */
  kernel(source: string, size: number): GpuJsKernel {
    return this.build(source, [size]);
  }

  /**
   * Runs a kernel on its arguments, counting uploads. Absent and empty ones (an input all in the
   * padding, a product of depth 0: the shader reads none of it) go as a 1-element array, since
   * gpu.js cannot take an empty one.
   */
  run(kernel: GpuJsKernel, ...inputs: (GpuJsArgument | undefined)[]): GpuJsTexture {
    const args = inputs.map((x) => {
      if (!(x instanceof Float32Array)) return x ?? ONE;
      this.counts.uploads++;
      return x.length === 0 ? ONE : x;
    });
    this.counts.kernelRuns++;
    return kernel(...args);
  }

  /** A texture holding `data` (a constant weight: uploaded once, read by every run). */
  upload(data: Float32Array): GpuJsTexture {
    const copy = this.gpu.createKernel(COPY_SHADER_SOURCE, { output: [Math.max(1, data.length)], pipeline: true, immutable: true, precision: 'single' });
    this.counts.uploads++;
    const t = copy(data.length === 0 ? ONE : data);
    copy.destroy?.(false);
    return t;
  }

  /** The texture's `size` floats, read back into a new Float32Array. */
  read(t: GpuJsTexture, size: number): Float32Array {
    this.counts.readbacks++;
    const values = t.toArray();
    if (values.length < size) throw new RangeError(`gpujs: a texture read back ${values.length} values, expected ${size}`);
    const out = new Float32Array(size);
    if (values instanceof Float32Array) out.set(values.subarray(0, size));
    else for (let i = 0; i < size; i++) out[i] = values[i]!;
    return out;
  }

  /** Frees every kernel and texture of the instance. */
  destroy(): void {
    this.built.length = 0;
    this.gpu.destroy();
  }

  private build(source: string, output: readonly number[]): GpuJsKernel {
    const k = this.gpu.createKernel(source, { output, pipeline: true, precision: 'single', tactic: 'precision', dynamicArguments: true });
    this.built.push(k);
    return k;
  }
}
