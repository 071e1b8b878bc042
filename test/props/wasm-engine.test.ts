import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmSimdGemmEngine } from '../../kernels/wasm/engine.js';
import { wasmEngineProperties } from '../helpers/wasm-engine-properties.js';

// The WebAssembly SIMD engine through the conv and Winograd kernels (and its depthwise kernel),
// against the direct sum. The same properties run in Deno and Bun from
// test/portability/gemm-simd-runtimes.test.ts.

describe('the wasm SIMD engine through conv, depthwise and Winograd vs the direct sum', () => {
  it('is available in Node and names itself', () => {
    expect(wasmSimdGemmEngine()?.name).toBe('wasm-simd');
  });

  for (const p of wasmEngineProperties()) {
    it(p.name, () => {
      fc.assert(p.property, { numRuns: p.numRuns });
    });
  }
});
