// `npx tsx bench/threads.ts [filter] [--spin MICROS] [--rounds N]`: the speedup of the wasm SIMD
// GEMM's block loop on 2 threads (kernels/wasm/threads.ts WasmThreadPool) over 1, for matmul
// 512^3 and the conv GEMMs of resnet18 at 224x224 (M = Cout, K = Cin*kh*kw, N = H*W), and the
// pool's dispatch overhead per batch. One process, variants interleaved round by round, best and
// median wall time (threads make CPU time meaningless). On a shared 2-core machine another
// process often holds one core: then 2 threads cannot beat 1, and the median shows it; the best
// round shows what 2 threads do when both cores are free. Read ratios, and repeat.
// The driver is test/helpers/threaded-gemm.ts: A packed once (a conv weight is prepacked), B
// packed on the calling thread per (jc, pc) step, each step's block calls split by rows or by
// column strips of C into one call per thread; 'pipe x4' packs the next step's B while the
// workers start on this one (WasmThreadPool.post / join), with 4 calls per thread so that the
// calls left when packing ends are shared out.

import '../src/node.js'; // worker_threads for the pool
import { KernelMemory } from '../kernels/wasm/host.js';
import { WasmThreadPool } from '../kernels/wasm/threads.js';
import { defaultGemmSimdConfig, gemmThreaded, type GemmThreadedOptions, probeModuleBytes, threadedGemm } from '../test/helpers/threaded-gemm.js';
import { values } from './clock.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const filter = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) ?? '';
const ROUNDS = opt('--rounds', 11);
const spinMicros = opt('--spin', 50);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const best = (xs: number[]) => Math.min(...xs);

// ---- dispatch overhead -------------------------------------------------------------------------
// A batch of two equal compute-bound calls (work(n), about 50 µs each) on 2 threads against one
// such call on 1: the difference is what a batch costs beyond its work (publishing it, waking
// the worker, waiting for the last call), with `gap` µs of serial work on the calling thread
// between batches, as packing B is between GEMM steps.
{
  const memory = KernelMemory.shared(1)!;
  const module = new WebAssembly.Module(probeModuleBytes());
  const pool = (await WasmThreadPool.create(module, memory.memory, 2, { spinMicros }))!;
  const work = pool.instance.exports.work as (n: number) => number;
  const t = performance.now();
  for (let i = 0; i < 20; i++) work(1e6);
  const n = Math.round(50 / (((performance.now() - t) * 1000) / 20 / 1e6)); // about 50 µs
  const once = () => work(n);
  const batch = [n, n];
  const timeLoop = (gapUs: number, n: number, body: () => void) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const until = performance.now() + gapUs / 1000;
      while (performance.now() < until) { /* the caller's serial work between batches */ }
      body();
    }
    return ((performance.now() - t0) * 1000) / n - gapUs;
  };
  const rows: string[] = [];
  const oneCall: number[] = [];
  for (const gap of [0, 200, 2000]) {
    const reps = gap === 2000 ? 100 : 500;
    const one: number[] = [], two: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      one.push(timeLoop(gap, reps, once));
      oneCall.push(one.at(-1)!);
      two.push(timeLoop(gap, reps, () => pool.run('work', batch)));
    }
    rows.push(`${gap} µs apart: ${(best(two) - best(one)).toFixed(1)} (median ${(median(two) - median(one)).toFixed(1)}) µs`);
  }
  console.log(`one call ${best(oneCall).toFixed(0)} µs; a batch of two such calls on 2 threads costs this much more than one call, best round (spin ${spinMicros} µs): ${rows.join(', ')}`);
  pool.dispose();
}

// ---- the GEMM block loop -----------------------------------------------------------------------
const shapes: [string, number, number, number][] = [
  ['matmul512', 512, 512, 512],
  ['resnet18.conv1', 64, 147, 12544],
  ['resnet18.layer1', 64, 576, 3136],
  ['resnet18.layer2', 128, 1152, 784],
  ['resnet18.layer3', 256, 2304, 196],
  ['resnet18.layer4', 512, 4608, 49],
];

const config = defaultGemmSimdConfig();
const one = await threadedGemm(1, config);
const two = await threadedGemm(2, config, { spinMicros });
if (two.pool === null) throw new Error('bench/threads: no 2-thread pool here');
type Variant = [string, typeof one, GemmThreadedOptions];
const variants: Variant[] = [
  ['1t', one, {}],
  ['2t rows', two, { split: 'rows' }],
  ['2t cols', two, { split: 'cols' }],
  ['2t rows pipe x4', two, { split: 'rows', pipeline: true, callsPerThread: 4 }],
  ['2t cols pipe x4', two, { split: 'cols', pipeline: true, callsPerThread: 4 }],
];
console.log(`\nGEMM block loop, ms (best of ${ROUNDS} interleaved rounds, wall time); x = 1 thread / 2 threads, best round (median round); pack = share of 1t spent packing B (1t minus 1t without packing)`);
console.log(`shape                  M     K      N steps   1t ms  pack   ${variants.slice(1).map((v) => v[0].replace('2t ', '').padStart(20)).join(' ')}`);
for (const [name, m, k, n] of shapes.filter((s) => s[0].includes(filter))) {
  const a = values(m * k, 1), b = values(k * n, 2);
  const c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  const reps = Math.max(1, Math.round(3e8 / flops)); // about 0.3 GFLOP per sample
  const times = variants.map(() => [] as number[]);
  const computeTimes: number[] = []; // 1 thread without packing B
  let steps = 0;
  for (const [, g, o] of variants) gemmThreaded(g, a, b, c, m, n, k, 1, false, o); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    variants.forEach(([, g, o], v) => {
      gemmThreaded(g, a, b, c, m, n, k, 1, false, o); // packs A into this engine's memory
      const before = g.batches;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) gemmThreaded(g, a, b, c, m, n, k, 1, false, { ...o, aPacked: true });
      times[v]!.push((performance.now() - t0) / reps);
      steps = (g.batches - before) / reps;
    });
    gemmThreaded(one, a, b, c, m, n, k, 1, false, { aPacked: true, skipPackingB: true });
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) gemmThreaded(one, a, b, c, m, n, k, 1, false, { aPacked: true, skipPackingB: true });
    computeTimes.push((performance.now() - t0) / reps);
  }
  const top = times.map(best), med = times.map(median);
  const t1 = top[0]!;
  const cols = top.slice(1).map((t, v) => `${t.toFixed(2)} ${(t1 / t).toFixed(2)}x (${(med[0]! / med[v + 1]!).toFixed(2)}x)`.padStart(20)).join(' ');
  console.log(`${name.padEnd(18)} ${String(m).padStart(5)} ${String(k).padStart(5)} ${String(n).padStart(6)} ${String(steps).padStart(5)} ${t1.toFixed(2).padStart(7)} ${`${((100 * (t1 - best(computeTimes))) / t1).toFixed(0)}%`.padStart(5)}   ${cols}`);
}
one.dispose();
two.dispose();
