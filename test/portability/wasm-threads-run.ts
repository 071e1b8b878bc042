// Runs WasmThreadPool outside vitest and prints one JSON line; executed by Node (through tsx),
// Deno (--sloppy-imports) and Bun from wasm-threads-runtimes.test.ts, which also checks that the
// process exits by itself.
//   argv: <entry> <dispose>
//   entry 'node': import the Node entry (src/node.ts), which registers worker_threads workers;
//   entry 'web': only the kernels, so the runtime's global Worker (Deno, Bun) is used;
//   dispose 'dispose' | 'keep': whether the pools are disposed before the script ends.
import fc from 'fast-check';
import { KernelMemory, sharedMemoryAvailable } from '../../kernels/wasm/host.js';
import { WasmThreadError, WasmThreadPool } from '../../kernels/wasm/threads.js';
import { defaultGemmSimdConfig, gemmThreaded, type GemmSplit, probeModuleBytes, type ThreadedGemm, threadedGemm } from '../helpers/threaded-gemm.js';

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const [entry = 'web', dispose = 'dispose'] = args;
if (entry === 'node') await import('../../src/node.js');

const result: Record<string, unknown> = { entry, dispose, shared: sharedMemoryAvailable() };
const fallbacks: string[] = [];
const options = { onFallback: (r: string) => fallbacks.push(r), batchTimeoutMs: 60_000 };

// Bit-identical GEMM at 1, 2 and 3 threads.
const config = { ...defaultGemmSimdConfig(), mc: 16, kc: 40, nc: 24 };
const gemms: ThreadedGemm[] = [];
for (const threads of [1, 2, 3]) gemms.push(await threadedGemm(threads, config, options));
result.threads = gemms.map((g) => g.pool?.threads ?? 1);
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer));
const check = fc.check(fc.property(
  fc.integer({ min: 2, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 100 }),
  fc.constantFrom(0, 1, 2), fc.constantFrom<GemmSplit>('rows', 'cols'), fc.boolean(), fc.boolean(), fc.integer(),
  (m, n, k, t, split, accumulate, pipeline, seed) => {
    const rand = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.fround(Math.sin((i + 1) * 12.9898 + s) * 1000));
    const a = rand(m * k, seed), b = rand(k * n, seed + 1), c0 = rand(m * n, seed + 2);
    const want = c0.slice();
    gemmThreaded(gemms[0]!, a, b, want, m, n, k, 0.75, accumulate, {});
    const got = c0.slice();
    gemmThreaded(gemms[t]!, a, b, got, m, n, k, 0.75, accumulate, { split, callsPerThread: 2, pipeline });
    return bits(got).every((x, i) => x === bits(want)[i]);
  }), { numRuns: 60 });
result.gemmRuns = check.numRuns;
result.gemmFailure = check.failed ? String(check.counterexample) : null;

// A worker's error is a WasmThreadError naming it; the pool keeps working. Two calls that must
// run one per thread (a barrier), trapping on the worker's instance (mark 0; the caller's is 1).
const memory = KernelMemory.shared(1)!;
const probe = await WasmThreadPool.create(new WebAssembly.Module(probeModuleBytes()), memory.memory, 2, options);
(probe?.instance.exports.setMark as (v: number) => void)(1);
try {
  probe?.run('arrive', [256, 2, 260, 0, -1, 256, 2, 260, 0, -1]);
  result.workerError = 'no error';
} catch (e) {
  result.workerError = e instanceof WasmThreadError ? `${e.thread}: ${e.message}` : `untyped: ${String(e)}`;
}
probe?.run('fill', [0, 1, 5, 4, 1, 6]);
result.afterError = Array.from(memory.floats().subarray(0, 2));
result.fallbacks = fallbacks;

if (dispose === 'dispose') {
  for (const g of gemms) g.dispose();
  probe?.dispose();
}
console.log(JSON.stringify(result));
