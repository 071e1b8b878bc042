import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node.js'; // registers the worker_threads factory
import { sharedMemoryAvailable } from '../../kernels/wasm/host.js';
import { defaultGemmSimdConfig, gemmThreaded, type GemmSimdConfig, type GemmSplit, type ThreadedGemm, threadedGemm } from '../helpers/threaded-gemm.js';
import { special, wide } from '../helpers/gemm-arbitraries.js';

// The SIMD GEMM's `block` export run by WasmThreadPool over a shared memory, its (jc, pc) steps
// split by rows or by column strips of C into 1, 2 or 3 threads (and several calls per thread;
// packing the next step while the workers compute, or not), gives the same bits as gemmSimdF32
// on one thread: each element of C is summed in the same
// order whichever thread computes it. Bits are compared (NaN payloads, signed zeros included).
// The one-thread reference is the same driver without a pool (every call on this thread).

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

/** Small cache blocks, so that small products still take several jc and pc steps. */
const SMALL_BLOCKS: GemmSimdConfig = { ...defaultGemmSimdConfig(), mc: 8, kc: 24, nc: 16 };

describe.skipIf(!sharedMemoryAvailable())('the threaded SIMD GEMM is bit-identical to one thread', () => {
  const gemms = new Map<string, ThreadedGemm>();
  const key = (config: GemmSimdConfig, threads: number) => `${config.nc}/${threads}`;
  beforeAll(async () => {
    for (const config of [defaultGemmSimdConfig(), SMALL_BLOCKS]) {
      for (const threads of [1, 2, 3]) {
        const g = await threadedGemm(threads, config, { batchTimeoutMs: 60_000 });
        expect(g.pool?.threads ?? 1).toBe(threads);
        gemms.set(key(config, threads), g);
      }
    }
  });
  afterAll(() => {
    for (const g of gemms.values()) g.dispose();
  });

  const value = fc.oneof({ weight: 20, arbitrary: wide }, { weight: 1, arbitrary: special }).map(Math.fround);
  const problem = fc.record({
    m: fc.oneof(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 10, max: 80 })),
    n: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 80 })),
    k: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 70 }), fc.integer({ min: 250, max: 300 })),
    threads: fc.constantFrom(1, 2, 3),
    split: fc.constantFrom<GemmSplit>('rows', 'cols'),
    callsPerThread: fc.integer({ min: 1, max: 3 }),
    pipeline: fc.boolean(),
    alpha: fc.oneof(fc.constant(1), fc.double({ min: -4, max: 4, noNaN: true })),
    accumulate: fc.boolean(),
  }).chain((p) => fc.record({
    p: fc.constant(p),
    a: fc.array(value, { minLength: p.m * p.k, maxLength: p.m * p.k }),
    b: fc.array(value, { minLength: p.k * p.n, maxLength: p.k * p.n }),
    c0: fc.array(value, { minLength: p.m * p.n, maxLength: p.m * p.n }),
  }));

  for (const config of [defaultGemmSimdConfig(), SMALL_BLOCKS]) {
    it(`blocks mc ${config.mc}, kc ${config.kc}, nc ${config.nc}: any thread count, either split`, () => {
      fc.assert(fc.property(problem, ({ p, a, b, c0 }) => {
        const A = Float32Array.from(a), B = Float32Array.from(b);
        const want = Float32Array.from(c0);
        gemmThreaded(gemms.get(key(config, 1))!, A, B, want, p.m, p.n, p.k, p.alpha, p.accumulate, {});
        const got = Float32Array.from(c0);
        gemmThreaded(gemms.get(key(config, p.threads))!, A, B, got, p.m, p.n, p.k, p.alpha, p.accumulate, p);
        expect(bits(got)).toEqual(bits(want));
      }), { numRuns: 60 });
    });
  }

  it('a product of many steps and several blocks, at every thread count and split', () => {
    const m = 61, n = 1100, k = 530; // two jc blocks of 1024, three pc blocks of 177
    const rand = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.fround(Math.sin(i * 12.9898 + seed) * 43758.5453 % 1));
    const A = rand(m * k, 1), B = rand(k * n, 2);
    const want = new Float32Array(m * n);
    const config = defaultGemmSimdConfig();
    gemmThreaded(gemms.get(key(config, 1))!, A, B, want, m, n, k, 1, false, {});
    for (const threads of [1, 2, 3]) {
      for (const split of ['rows', 'cols'] as const) {
        for (const pipeline of [false, true]) {
          const got = new Float32Array(m * n).fill(Number.NaN);
          const g = gemms.get(key(config, threads))!;
          const before = g.batches;
          gemmThreaded(g, A, B, got, m, n, k, 1, false, { split, pipeline });
          expect(g.batches - before).toBe(2 * 3);
          expect(bits(got), `${threads} threads, ${split}, pipeline ${pipeline}`).toEqual(bits(want));
        }
      }
    }
  });
});
