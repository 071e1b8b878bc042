// Which GemmEngine the float32 products of the ops run on. A session picks its backend once
// ('cpu': the JS kernels; 'wasm': WebAssembly SIMD) and runs each inference inside
// `withGemmEngine`; ops read `gemmEngine()` where they call a GEMM, conv or Winograd kernel.
// The 'webgl' backend adds `gpuProducts()`: MatMul, Gemm and Conv offer it their product first,
// as do the elementwise ops, the pools and Softmax their float32 work, and each runs its CPU
// kernel where the GPU declines.
// Runs are synchronous, so one scoped module-level value is enough and ops need no extra
// parameter (the same pattern as the storage pool in src/dtypes.ts). Outside a run (tests,
// constant folding at plan time) it is the JS engine.

import { type GemmEngine, type GemmOptions, jsGemmEngine } from '../kernels/gemm-f32.js';
import type { ElementwiseShaderSpec } from '../kernels/gpujs/elementwise.js';
import type { GlobalPoolShaderSpec, PoolShaderSpec, SoftmaxShaderSpec } from '../kernels/gpujs/pool.js';
import type { Conv2dShaderSpec, GemmShaderSpec } from '../kernels/gpujs/sources.js';
import type { Tensor } from '../src/tensor.js';

let current: GemmEngine = jsGemmEngine;
let currentGpu: GpuProducts | null = null;

/**
 * The GPU side of the 'webgl' backend (src/runtime/webgl.ts), as the ops see it. Each method
 * returns the float32 output (whose values may stay on the GPU until something reads `data`), or
 * null where it declines: too little work for the GPU (a measured threshold), an activation it
 * has no shader for, sizes past its index range. `node` keys the kernel built for that node;
 * `constant(i)` says input i is an initializer (the weight, input 1, and bias, input 2, of all
 * three ops are then uploaded once and kept on the GPU).
 */
export interface GpuProducts {
  gemm(
    node: object, a: Tensor, b: Tensor, bias: Tensor | undefined, residual: Tensor | undefined,
    spec: GemmShaderSpec, outDims: readonly number[], constant: (input: number) => boolean,
  ): Tensor | null;
  conv2d(
    node: object, x: Tensor, w: Tensor, bias: Tensor | undefined, residual: Tensor | undefined,
    spec: Conv2dShaderSpec, outDims: readonly number[], constant: (input: number) => boolean,
  ): Tensor | null;
  /**
   * The ops between the products (elementwise, pools, softmax) run on the GPU only where an input
   * already is there (a texture an earlier GPU op wrote); with every input on the CPU they decline.
   */
  elementwise(
    node: object, spec: ElementwiseShaderSpec, inputs: readonly Tensor[], outDims: readonly number[], constant: (input: number) => boolean,
  ): Tensor | null;
  pool(node: object, spec: PoolShaderSpec, x: Tensor, outDims: readonly number[]): Tensor | null;
  globalPool(node: object, spec: GlobalPoolShaderSpec, x: Tensor, outDims: readonly number[]): Tensor | null;
  softmax(node: object, spec: SoftmaxShaderSpec, x: Tensor): Tensor | null;
}

/** The GPU products of the run in progress (null on the CPU backends and outside any run). */
export function gpuProducts(): GpuProducts | null {
  return currentGpu;
}

/** The engine of the run in progress (the JS engine outside any run). */
export function gemmEngine(): GemmEngine {
  return current;
}

/** Runs `fn` with `engine` as the ops' GEMM engine (and `gpu` as their GPU), restoring the previous ones after. */
export function withGemmEngine<T>(engine: GemmEngine, fn: () => T, gpu: GpuProducts | null = null): T {
  const prev = current;
  const prevGpu = currentGpu;
  current = engine;
  currentGpu = gpu;
  try {
    return fn();
  } finally {
    current = prev;
    currentGpu = prevGpu;
  }
}

/** `o` with the current engine set (the same object when it is the JS engine: nothing to add). */
export function withEngine(o: GemmOptions): GemmOptions {
  const e = current;
  return e === jsGemmEngine || o.engine !== undefined ? o : { ...o, engine: e };
}
