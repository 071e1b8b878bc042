// The wasm SIMD engine on several threads: the engine's modules compiled against one shared
// memory, one WasmThreadPool (kernels/wasm/threads.ts) whose workers instantiate all of them over
// that memory, and an executor that hands each batch of kernel calls to the pool. The
// engine's drivers already cut their work into `parallelism` calls (depthwise channels, im2col and
// packing ranges, Winograd transforms); GEMM block calls are cut here into column strips
// (splitGemmBlockCall). Every output element is computed by one call exactly as on one thread, so
// results are bit-identical for any thread count (test/props/threaded-engine.test.ts).

import { type WasmCall, type WasmExecutor, type WasmSimdGemmEngine, createWasmSimdGemmEngine, engineModules } from './engine.js';
import { GEMM_BLOCK, type GemmBlockCall, splitGemmBlockCall } from './gemm-simd.js';
import { compileModule, KernelMemory, MAX_MEMORY_PAGES, relaxedSimdAvailable } from './host.js';
import { threadPoolUnavailable, WasmThreadPool, type WasmThreadPoolOptions } from './threads.js';

/** Most threads an engine is made with (its pool spawns threads - 1 workers). */
export const MAX_ENGINE_THREADS = 16;

/** Multiply-adds of a GEMM batch below which it runs on the calling thread (a few µs of work; Winograd's per-point products are just above it). */
const MIN_MADDS = 2 ** 16;

/**
 * How long the engine's threads poll for the next batch before sleeping, once the task that ran
 * the last batch has ended (within a task, a synchronous run, the pool keeps them polling: see
 * WasmThreadPool's publish). A run that follows soon after starts without a futex wake.
 * resnet18@224 on 2 threads, `npx tsx bench/threads-session.ts`: 50 µs 1.41-1.43x over one
 * thread, 1000 µs 1.50-1.62x, 3000 µs 1.53-1.56x (a loaded machine, run at real-time priority).
 */
const SPIN_MICROS = 1000;

/** Batch-call buffers, reused: the arguments of one batch as float64s. */
let flat = new Float64Array(1024);

function poolExecutor(pool: WasmThreadPool, minMadds: number): WasmExecutor {
  const direct = new Map<string, (...args: number[]) => unknown>();
  for (const [name, instance] of pool.instances) {
    for (const [exp, f] of Object.entries(instance.exports)) if (typeof f === 'function') direct.set(`${name}.${exp}`, f as (...a: number[]) => unknown);
  }
  const threads = pool.threads;
  // Waking a worker costs tens of microseconds: a batch of GEMM blocks smaller than MIN_MADDS (2^16)
  // multiply-adds runs on this thread. The other kernels (packing, im2col, depthwise, Winograd
  // transforms, activation passes) carry no size the executor can read cheaply: they go to the pool
  // while the products around them are large (the last GEMM batch decided), else run here.
  let large = false;
  return {
    // Two calls per thread for the drivers' transform, im2col, packing and depthwise passes: a
    // thread that wakes late (a futex wake is tens of µs) then finds half as much left to do.
    parallelism: 2 * threads,
    threads,
    run(kernel, calls) {
      if (kernel === GEMM_BLOCK) {
        let madds = 0;
        for (const c of calls) madds += c[3]! * c[4]! * c[5]!;
        large = madds >= minMadds;
      }
      if (!large) {
        const f = direct.get(kernel);
        if (f === undefined) throw new RangeError(`threaded wasm executor: no kernel named '${kernel}'`);
        for (const c of calls) f(...c);
        return;
      }
      let list: readonly WasmCall[] = calls;
      // A GEMM block is cut into about two column ranges per thread, so a late thread finds less to do.
      if (kernel === GEMM_BLOCK && calls.length < 2 * threads) {
        const parts = Math.ceil((2 * threads) / Math.max(1, calls.length));
        list = calls.flatMap((c) => splitGemmBlockCall(c as GemmBlockCall, parts));
      }
      if (list.length === 0) return;
      if (list.length === 1) {
        const f = direct.get(kernel);
        if (f === undefined) throw new RangeError(`threaded wasm executor: no kernel named '${kernel}'`);
        f(...list[0]!);
        return;
      }
      const arity = list[0]!.length;
      const need = arity * list.length;
      if (flat.length < need) flat = new Float64Array(Math.max(need, 2 * flat.length));
      let at = 0;
      for (const c of list) for (let i = 0; i < arity; i++) flat[at++] = c[i]!;
      pool.run(kernel, flat.subarray(0, need));
    },
  };
}

/** Options of threadedWasmSimdGemmEngine. */
export interface ThreadedEngineOptions extends WasmThreadPoolOptions {
  /** GEMM batches of fewer multiply-adds run on the calling thread (default 2^16; 0: every batch on the pool, for tests). */
  readonly inlineBelow?: number;
}

const engines = new Map<string, Promise<WasmSimdGemmEngine | null>>();

/**
 * The shared engine for `threads` threads (made once per count), or null where it cannot run
 * threaded: no SharedArrayBuffer/Atomics/Worker (a browser page that is not cross-origin isolated,
 * workerd), threads < 2, run-time compilation refused, or no worker started. Use the one-thread
 * engine there (`onFallback` is told why).
 */
export function threadedWasmSimdGemmEngine(threads: number, options: ThreadedEngineOptions = {}): Promise<WasmSimdGemmEngine | null> {
  const n = Math.min(MAX_ENGINE_THREADS, Math.floor(threads));
  const minMadds = options.inlineBelow ?? MIN_MADDS;
  const key = `${n}/${minMadds}`;
  let e = engines.get(key);
  if (e === undefined) {
    e = create(n, minMadds, options);
    engines.set(key, e);
  }
  return e;
}

async function create(threads: number, minMadds: number, options: WasmThreadPoolOptions): Promise<WasmSimdGemmEngine | null> {
  if (!(threads >= 2)) return null;
  const missing = threadPoolUnavailable();
  if (missing !== null) {
    options.onFallback?.(missing);
    return null;
  }
  const memory = KernelMemory.shared(16, MAX_MEMORY_PAGES);
  if (memory === null) {
    options.onFallback?.('this host makes no shared WebAssembly memory');
    return null;
  }
  const fma = relaxedSimdAvailable();
  const modules = new Map<string, WebAssembly.Module>();
  for (const m of engineModules(fma, { initial: 1, maximum: MAX_MEMORY_PAGES, shared: true })) {
    const module = compileModule(m.bytes);
    if (module === null) {
      options.onFallback?.(`the ${m.name} module does not compile against a shared memory here`);
      return null;
    }
    modules.set(m.name, module);
  }
  // One pool runs every module's kernels: threads - 1 workers in all, not that many per module.
  const pool = await WasmThreadPool.create(modules, memory.memory, threads, { spinMicros: SPIN_MICROS, ...options });
  if (pool === null) return null;
  return createWasmSimdGemmEngine({ fma, memory, modules, executor: () => poolExecutor(pool, minMadds) });
}
