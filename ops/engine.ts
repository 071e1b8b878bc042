// Which GemmEngine the float32 products of the ops run on. A session picks its backend once
// ('cpu': the JS kernels; 'wasm': WebAssembly SIMD) and runs each inference inside
// `withGemmEngine`; ops read `gemmEngine()` where they call a GEMM, conv or Winograd kernel.
// Runs are synchronous, so one scoped module-level value is enough and ops need no extra
// parameter (the same pattern as the storage pool in src/dtypes.ts). Outside a run (tests,
// constant folding at plan time) it is the JS engine.

import { type GemmEngine, type GemmOptions, jsGemmEngine } from '../kernels/gemm-f32.js';

let current: GemmEngine = jsGemmEngine;

/** The engine of the run in progress (the JS engine outside any run). */
export function gemmEngine(): GemmEngine {
  return current;
}

/** Runs `fn` with `engine` as the ops' GEMM engine, restoring the previous one after. */
export function withGemmEngine<T>(engine: GemmEngine, fn: () => T): T {
  const prev = current;
  current = engine;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/** `o` with the current engine set (the same object when it is the JS engine: nothing to add). */
export function withEngine(o: GemmOptions): GemmOptions {
  const e = current;
  return e === jsGemmEngine || o.engine !== undefined ? o : { ...o, engine: e };
}
