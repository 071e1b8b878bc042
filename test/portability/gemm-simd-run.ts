// Runs the WebAssembly SIMD GEMM's properties (test/helpers/gemm-simd-properties.ts) outside
// vitest and prints one JSON line. Executed by Node (through tsx), Deno (--sloppy-imports, which
// maps the .js import specifiers to the .ts sources) and Bun from gemm-simd-runtimes.test.ts.
import fc from 'fast-check';
import { relaxedSimdAvailable, simdAvailable } from '../../kernels/wasm/engine.js';
import { gemmSimdProperties } from '../helpers/gemm-simd-properties.js';

const failures: { name: string; error: string }[] = [];
let runs = 0;
if (simdAvailable()) {
  for (const p of gemmSimdProperties()) {
    const r = fc.check(p.property, { numRuns: p.numRuns });
    runs += r.numRuns;
    if (r.failed) failures.push({ name: p.name, error: String(r.errorInstance ?? r.counterexample).split('\n')[0]! });
  }
}
console.log(JSON.stringify({ simd: simdAvailable(), relaxed: relaxedSimdAvailable(), runs, failures }));
