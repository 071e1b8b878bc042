// The WebAssembly SIMD GemmEngine: every float32 GEMM, conv (im2col and pointwise), Winograd
// product and depthwise conv of a session on wasm SIMD128 kernels, where the host allows.
//
// One engine owns one KernelMemory (host.ts) shared by its modules (the GEMM block kernel of
// gemm-simd.ts, the depthwise kernels of depthwise-simd.ts), the resident constant panels in it
// (resident.ts), and an executor that runs each batch of independent kernel calls. The default
// executor runs them in order on this thread; a worker pool over a shared memory replaces it
// (`executor` option) without touching the drivers: it receives the compiled modules and the
// memory (`WasmKernelSet`), instantiates them in its workers, and runs each batch there. Calls
// of one batch write disjoint memory, and every output element is computed the same way
// whichever call or thread computes it, so results are bit-identical for any split.
//
// `wasmSimdGemmEngine()` is the shared engine (null where WebAssembly SIMD or run-time compiling
// is unavailable: then the JS engine runs); `createWasmSimdGemmEngine` makes another (tests,
// benchmarks, a pool). Kernels run synchronously, so two calls never share the scratch.

import type { MemoryLimits } from './assembler.js';
import type { ConvGeometry } from '../conv.js';
import {
  type FusedConvEpilogue, type GemmEngine, type GemmEpilogue, type GemmOperandLayout, type GemmOptions, type GemmPanelSource,
  type PackedGemmA, type PackedGemmB, GEMM_MR, GEMM_NR, gemmF32, gemmPackedAF32, gemmPackedBF32,
} from '../gemm-f32.js';
import { depthwiseSimdF32, emitDepthwiseModule, maxPoolSimdF32 } from './depthwise-simd.js';
import {
  type GemmSimdConfig, type GemmSimdHost, activationSimdF32, defaultGemmSimdConfig, emitGemmModule, gemmSimdPanels,
} from './gemm-simd.js';
import { compileModule, KernelMemory, MAX_MEMORY_PAGES, relaxedSimdAvailable, WasmKernelError } from './host.js';
import { ResidentPanels } from './resident.js';
import { emitWinogradModule, winogradSimdF32 } from './winograd-simd.js';
import type { PackedWinogradF32 } from '../winograd-f32.js';
import type { PoolGeometry } from '../pool.js';

export { relaxedSimdAvailable } from './host.js';

/** The compiled kernels and their memory: what a worker pool instantiates in each worker. */
export interface WasmKernelSet {
  readonly memory: KernelMemory;
  /** Module name -> compiled module; each imports `env.memory`. Kernel `gemm.block` is export `block` of module `gemm`. */
  readonly modules: ReadonlyMap<string, WebAssembly.Module>;
}

/** One call of a kernel: its arguments, as the export takes them. */
export type WasmCall = readonly number[];

/**
 * Runs batches of kernel calls. `kernel` is `module.export`: `gemm.block` (gemm-simd.ts; a pool
 * may cut each call further with splitGemmBlockCall), `gemm.packB`, `gemm.act` (simd-math.ts),
 * `conv.dw3_s1` and the other depthwise variants (depthwise-simd.ts), `conv.pads` and
 * `conv.im2col` (im2col-simd.ts), `winograd.in4`, `winograd.out4`, ... (winograd-simd.ts). The calls of one batch
 * write disjoint memory and may run in any order or at once; `run` returns when every one is done.
 */
export interface WasmExecutor {
  /**
   * How many calls the drivers cut work into: the depthwise driver its channels, the activation
   * passes their output, im2col and packing their strips, the Winograd transforms their channel
   * ranges (the GEMM driver cuts rows by its MC blocking). A pool asks for more calls than it has
   * threads, so that a thread that starts late finds less left to do.
   */
  readonly parallelism: number;
  /** Threads the calls run on (default: parallelism). */
  readonly threads?: number;
  run(kernel: string, calls: readonly WasmCall[]): void;
}

/** Runs every call in order on this thread, through the given instances' exports. */
export function sequentialExecutor(instances: ReadonlyMap<string, WebAssembly.Instance>): WasmExecutor {
  const fns = new Map<string, (...args: number[]) => void>();
  for (const [name, inst] of instances) {
    for (const [exp, f] of Object.entries(inst.exports)) {
      if (typeof f === 'function') fns.set(`${name}.${exp}`, f as (...args: number[]) => void);
    }
  }
  return {
    parallelism: 1,
    run(kernel, calls) {
      const f = fns.get(kernel);
      if (f === undefined) throw new WasmKernelError('WASM_UNAVAILABLE', `wasm executor: no kernel named '${kernel}'`);
      for (const c of calls) f(...c);
    },
  };
}

/** Options of createWasmSimdGemmEngine. */
export interface WasmSimdEngineOptions {
  /** Use relaxed-simd fused multiply-add (default: where the host validates it). */
  readonly fma?: boolean;
  /** Rows of A per block call (default 128; rounded to a multiple of 4). */
  readonly mc?: number;
  /** Columns of C per block (default 1024; a multiple of 8). */
  readonly nc?: number;
  /** Bytes of constant panels kept resident in wasm memory at most (default 512 MiB). */
  readonly residentBytes?: number;
  /**
   * The memory the kernels import (default: a new KernelMemory). A worker pool passes a shared
   * one; the modules must then import it as shared (assembler.ts's memory import).
   */
  readonly memory?: KernelMemory;
  /**
   * The engine's modules compiled already (engineModules' names), e.g. importing a shared memory
   * for a worker pool (threaded-engine.ts); default: compiled here from engineModules(fma).
   */
  readonly modules?: ReadonlyMap<string, WebAssembly.Module>;
  /** Makes the executor (default: sequentialExecutor over this thread's instances). */
  readonly executor?: (kernels: WasmKernelSet, instances: ReadonlyMap<string, WebAssembly.Instance>) => WasmExecutor;
}

/** The WebAssembly SIMD engine: a GemmEngine that also computes depthwise convs. */
export interface WasmSimdGemmEngine extends GemmEngine {
  readonly name: 'wasm-simd';
  readonly fma: boolean;
  /** Threads its kernels run on (the executor's). */
  readonly threads: number;
  readonly kernels: WasmKernelSet;
  /** Floats of constant panels currently resident in the engine's memory. */
  readonly residentFloats: number;
  depthwise(x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue): boolean;
  winograd(x: Float32Array, w: PackedWinogradF32, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue): boolean;
  maxPool(x: Float32Array, y: Float32Array, g: PoolGeometry): boolean;
  activation(kind: 'sigmoid' | 'silu', x: Float32Array, y: Float32Array): boolean;
  /** Storage in the engine's memory when it is shared (a threaded engine), else null: see GemmEngine. */
  tensorStorage(length: number): Float32Array | null;
  offsetOf(a: Float32Array): number;
}

class Engine implements WasmSimdGemmEngine, GemmSimdHost {
  readonly name = 'wasm-simd' as const;
  readonly resident: ResidentPanels;
  readonly executor: WasmExecutor;

  constructor(
    readonly config: GemmSimdConfig, readonly kernels: WasmKernelSet,
    instances: ReadonlyMap<string, WebAssembly.Instance>, residentBytes: number,
    makeExecutor: WasmSimdEngineOptions['executor'],
  ) {
    this.resident = new ResidentPanels(kernels.memory, Math.floor(residentBytes / 4));
    this.executor = makeExecutor === undefined ? sequentialExecutor(instances) : makeExecutor(kernels, instances);
  }

  get fma(): boolean {
    return this.config.fma;
  }

  get threads(): number {
    return this.executor.threads ?? this.executor.parallelism;
  }

  get memory(): KernelMemory {
    return this.kernels.memory;
  }

  get residentFloats(): number {
    return this.resident.residentFloats;
  }

  tensorStorage(length: number): Float32Array | null {
    return this.resident.tensorStorage(length);
  }

  offsetOf(a: Float32Array): number {
    return this.resident.offsetOf(a);
  }

  runCalls(kernel: string, calls: readonly WasmCall[]): void {
    this.executor.run(kernel, calls);
  }

  panels(
    m: number, n: number, k: number, A: GemmPanelSource, B: GemmPanelSource,
    c: Float32Array, cOff: number, ldc: number, alpha: number, accumulate: boolean, ep: GemmEpilogue,
  ): void {
    gemmSimdPanels(this, m, n, k, A, B, c, cOff, ldc, alpha, accumulate, ep);
  }

  depthwise(x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue): boolean {
    return depthwiseSimdF32(this, x, w, y, g, ep);
  }

  winograd(x: Float32Array, w: PackedWinogradF32, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue): boolean {
    return winogradSimdF32(this, x, w, y, g, ep);
  }

  maxPool(x: Float32Array, y: Float32Array, g: PoolGeometry): boolean {
    return maxPoolSimdF32(this, x, y, g);
  }

  activation(kind: 'sigmoid' | 'silu', x: Float32Array, y: Float32Array): boolean {
    return activationSimdF32(this, kind, x, y);
  }
}

/**
 * The modules an engine compiles, with the file name the build gives each (scripts/emit-wasm.ts
 * writes dist/wasm/FILE.wasm for a host that cannot compile at run time).
 */
export function engineModules(
  fma: boolean, memory: MemoryLimits = { initial: 1 },
): { readonly name: string; readonly file: string; readonly bytes: Uint8Array<ArrayBuffer> }[] {
  const f = fma ? '-fma' : '';
  return [
    { name: 'gemm', file: `gemm${f}`, bytes: emitGemmModule({ mr: GEMM_MR, nr: GEMM_NR, fma }, memory) },
    { name: 'conv', file: `conv${f}`, bytes: emitDepthwiseModule(fma, memory) },
    { name: 'winograd', file: 'winograd', bytes: emitWinogradModule(memory) },
  ];
}

/**
 * A new engine with its own memory, or null where WebAssembly, SIMD128 or run-time compiling is
 * unavailable (or `fma` is asked for where relaxed-simd is not).
 */
export function createWasmSimdGemmEngine(o: WasmSimdEngineOptions = {}): WasmSimdGemmEngine | null {
  const fma = o.fma ?? relaxedSimdAvailable();
  if (fma && !relaxedSimdAvailable()) return null;
  const base = defaultGemmSimdConfig(fma);
  const mc = Math.max(GEMM_MR, Math.floor((o.mc ?? base.mc) / GEMM_MR) * GEMM_MR);
  const nc = o.nc ?? base.nc;
  if (nc <= 0 || nc % GEMM_NR !== 0) throw new RangeError(`createWasmSimdGemmEngine: nc ${nc} is not a positive multiple of ${GEMM_NR}`);
  let modules = o.modules;
  if (modules === undefined) {
    const compiled = new Map<string, WebAssembly.Module>();
    for (const m of engineModules(fma)) {
      const module = compileModule(m.bytes, m.file);
      if (module === null) return null;
      compiled.set(m.name, module);
    }
    modules = compiled;
  }
  const memory = o.memory ?? new KernelMemory();
  const instances = new Map<string, WebAssembly.Instance>();
  for (const [name, module] of modules) instances.set(name, new WebAssembly.Instance(module, { env: { memory: memory.memory } }));
  return new Engine({ fma, mc, nc }, { memory, modules }, instances, o.residentBytes ?? 512 * 2 ** 20, o.executor);
}

let oneThread: WasmSimdGemmEngine | null | undefined;

/**
 * The one-thread engine every session shares (created on first use), or null where it cannot run:
 * use jsGemmEngine there. Its memory is a shared one where the host has them (Node, Deno, Bun, a
 * cross-origin isolated page), so that a session's activations live in it and the kernels work
 * on them in place (resident.ts tensorStorage; mobilenet_v2@224 ran 10% faster); else a plain
 * memory, with the modules a host that cannot compile at run time registered (workerd).
 */
export function wasmSimdGemmEngine(): WasmSimdGemmEngine | null {
  if (oneThread === undefined) oneThread = sharedMemoryEngine() ?? createWasmSimdGemmEngine();
  return oneThread;
}

function sharedMemoryEngine(): WasmSimdGemmEngine | null {
  const memory = KernelMemory.shared(16, MAX_MEMORY_PAGES);
  if (memory === null) return null;
  const fma = relaxedSimdAvailable();
  const modules = new Map<string, WebAssembly.Module>();
  for (const m of engineModules(fma, { initial: 1, maximum: MAX_MEMORY_PAGES, shared: true })) {
    const module = compileModule(m.bytes);
    if (module === null) return null;
    modules.set(m.name, module);
  }
  return createWasmSimdGemmEngine({ fma, memory, modules });
}

/** True when the wasm engine can run here: WebAssembly with SIMD128, and compiling bytes is allowed. */
export function simdAvailable(): boolean {
  return wasmSimdGemmEngine() !== null;
}

// ---- GEMM entry points on an engine (tests and benchmarks) ------------------------------------

function need(engine: WasmSimdGemmEngine | null | undefined): WasmSimdGemmEngine {
  const e = engine ?? wasmSimdGemmEngine();
  if (e === null) {
    throw new WasmKernelError('WASM_UNAVAILABLE', 'gemmSimdF32: WebAssembly SIMD is not available in this host (check simdAvailable() first)');
  }
  return e;
}

/**
 * gemmF32 on the wasm engine (`engine`, default the shared one): every shape on wasm SIMD.
 * Throws a WasmKernelError where the engine is unavailable.
 */
export function gemmSimdF32(
  a: Float32Array, aLayout: GemmOperandLayout, b: Float32Array, bLayout: GemmOperandLayout,
  c: Float32Array, m: number, n: number, k: number, o: GemmOptions = {}, engine?: WasmSimdGemmEngine | null,
): void {
  gemmF32(a, aLayout, b, bLayout, c, m, n, k, { ...o, engine: need(engine) });
}

/** gemmPackedAF32 on the wasm engine. */
export function gemmSimdPackedAF32(
  pa: PackedGemmA, b: Float32Array, bLayout: GemmOperandLayout, c: Float32Array, n: number, o: GemmOptions = {},
  engine?: WasmSimdGemmEngine | null,
): void {
  gemmPackedAF32(pa, b, bLayout, c, n, { ...o, engine: need(engine) });
}

/** gemmPackedBF32 on the wasm engine. */
export function gemmSimdPackedBF32(
  a: Float32Array, aLayout: GemmOperandLayout, pb: PackedGemmB, c: Float32Array, m: number, o: GemmOptions = {},
  engine?: WasmSimdGemmEngine | null,
): void {
  gemmPackedBF32(a, aLayout, pb, c, m, { ...o, engine: need(engine) });
}
