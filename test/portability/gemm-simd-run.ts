// Runs the WebAssembly SIMD engine's properties (test/helpers/gemm-simd-properties.ts: the GEMM
// entry points; test/helpers/wasm-engine-properties.ts: conv, depthwise, Winograd, residency,
// split executors) outside vitest and prints one JSON line. Executed by Node (through tsx), Deno
// (--sloppy-imports, which maps the .js import specifiers to the .ts sources) and Bun from
// gemm-simd-runtimes.test.ts.
import fc from 'fast-check';
import { relaxedSimdAvailable, simdAvailable } from '../../kernels/wasm/engine.js';
import { gemmSimdProperties } from '../helpers/gemm-simd-properties.js';
import { wasmEngineProperties } from '../helpers/wasm-engine-properties.js';

const failures: { name: string; error: string }[] = [];
let runs = 0;
let engineRuns = 0;
if (simdAvailable()) {
  for (const [suite, props] of [['gemm', gemmSimdProperties()], ['engine', wasmEngineProperties()]] as const) {
    for (const p of props) {
      const r = fc.check(p.property, { numRuns: p.numRuns });
      runs += r.numRuns;
      if (suite === 'engine') engineRuns += r.numRuns;
      if (r.failed) failures.push({ name: p.name, error: String(r.errorInstance ?? r.counterexample).split('\n')[0]! });
    }
  }
}
console.log(JSON.stringify({ simd: simdAvailable(), relaxed: relaxedSimdAvailable(), runs, engineRuns, failures }));
