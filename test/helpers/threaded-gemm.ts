// Test and benchmark fixtures for WasmThreadPool (kernels/wasm/threads.ts): a small module of
// probes over a shared memory, and a driver that runs the SIMD GEMM's `block` export
// (kernels/wasm/gemm-simd.ts) over a shared memory with its (jc, pc) steps split across a pool,
// by rows or by columns of C. The GEMM engine proper (kernels/gemm-f32.ts GemmEngine) gets its
// own parallel driver; this one exists to show that any such split is bit-identical to one
// thread and to measure the speedup.

import { ByteWriter, FunctionBuilder, ModuleBuilder, ValType } from '../../kernels/wasm/assembler.js';
import { emitGemmModule } from '../../kernels/wasm/gemm-simd.js';
import { relaxedSimdAvailable } from '../../kernels/wasm/host.js';

/** The blocking this fixture's own driver uses (the engine's driver fixes kc at 256 and the tile at 4x8). */
export interface GemmSimdConfig {
  readonly fma: boolean;
  readonly mr: number;
  readonly nr: number;
  readonly mc: number;
  readonly kc: number;
  readonly nc: number;
}

export function defaultGemmSimdConfig(): GemmSimdConfig {
  return { fma: relaxedSimdAvailable(), mr: 4, nr: 8, mc: 128, kc: 256, nc: 1024 };
}

/** Equal K blocks of at most kcMax (as the engine's driver cuts K). */
export function gemmSimdBlockDepth(k: number, kcMax: number): number {
  return k === 0 ? 0 : Math.ceil(k / Math.ceil(k / kcMax));
}

/** The block export's trailing arguments when no epilogue runs in it (epi 0, no bias, residual or clamp). */
const NO_EPI = [0, 0, 0, 0, 0, 0] as const;
import { KernelMemory, MAX_MEMORY_PAGES } from '../../kernels/wasm/host.js';
import { WasmThreadPool, type WasmThreadPoolOptions } from '../../kernels/wasm/threads.js';
import { packStrips } from '../../kernels/gemm-pack.js';

const SHARED = { initial: 1, maximum: MAX_MEMORY_PAGES, shared: true } as const;

// ---- the probe module ---------------------------------------------------------------------------

/**
 * A module over a shared memory with:
 * - fill(dst, count, value): count float32s at byte address dst set to value (f32 parameter);
 * - arrive(counter, parties, failed, trapMark, hangMark): a barrier: atomically counts in at
 *   `counter`, then waits (memory.atomic.wait32, 1 ms slices, about 5 s at most) until `parties`
 *   calls have arrived, storing 1 at `failed` if it gives up; then traps (unreachable) if this
 *   instance's mark is `trapMark`, or waits about 2 s if it is `hangMark`. Only calls that run at
 *   the same time can all pass it, so `parties` calls on as many threads run one per thread;
 * - setMark(v): sets this instance's mark (a global, 0 at first: each thread's instance has its
 *   own), so that a test can tell the calling thread's instance from the workers';
 * - trap(x): unreachable when x is 1, else nothing;
 * - nop(x): nothing;
 * - work(n): n rounds of a dependent integer multiply-add, touching no memory (a call of known,
 *   compute-bound length, for measuring dispatch).
 */
export function probeModuleBytes(): Uint8Array<ArrayBuffer> {
  const { i32, f32 } = ValType;
  const m = new ModuleBuilder().importMemory('env', 'memory', SHARED);

  const fill = new FunctionBuilder([i32, i32, f32], []);
  {
    const [dst, count, value] = fill.params;
    const done = fill.block();
    fill.get(count!).op('i32.eqz').brIf(done);
    const top = fill.loop();
    fill.get(dst!).get(value!).mem('f32.store');
    fill.get(dst!).i32Const(4).op('i32.add').set(dst!);
    fill.get(count!).i32Const(1).op('i32.sub').tee(count!).brIf(top);
    fill.end().end();
  }
  m.addFunction(fill, 'fill');

  const mark = m.addGlobalI32(0);
  const setMark = new FunctionBuilder([i32], []);
  setMark.get(setMark.params[0]!).globalSet(mark);
  m.addFunction(setMark, 'setMark');

  const arrive = new FunctionBuilder([i32, i32, i32, i32, i32], []);
  {
    const [counter, parties, failed, trapMark, hangMark] = arrive.params;
    const seen = arrive.local(i32);
    const tries = arrive.local(i32);
    arrive.get(counter!).i32Const(1).atomic('i32.atomic.rmw.add').i32Const(1).op('i32.add').set(seen);
    arrive.get(counter!).i32Const(-1).atomic('memory.atomic.notify').op('drop'); // wake every waiter to look again
    arrive.i32Const(5000).set(tries);
    const out = arrive.block();
    const top = arrive.loop();
    arrive.get(seen).get(parties!).op('i32.ge_s').brIf(out);
    arrive.get(tries).op('i32.eqz').if();
    arrive.get(failed!).i32Const(1).atomic('i32.atomic.store').br(out);
    arrive.end();
    arrive.get(counter!).get(seen).i64Const(1_000_000).atomic('memory.atomic.wait32').op('drop');
    arrive.get(tries).i32Const(1).op('i32.sub').set(tries);
    arrive.get(counter!).atomic('i32.atomic.load').set(seen);
    arrive.br(top);
    arrive.end().end();
    arrive.globalGet(mark).get(trapMark!).op('i32.eq').if();
    arrive.op('unreachable');
    arrive.end();
    arrive.globalGet(mark).get(hangMark!).op('i32.eq').if();
    {
      arrive.i32Const(2000).set(tries);
      const sleep = arrive.loop();
      arrive.get(failed!).get(failed!).atomic('i32.atomic.load').i64Const(1_000_000).atomic('memory.atomic.wait32').op('drop');
      arrive.get(tries).i32Const(1).op('i32.sub').tee(tries).brIf(sleep);
      arrive.end();
    }
    arrive.end();
  }
  m.addFunction(arrive, 'arrive');

  const trap = new FunctionBuilder([i32], []);
  trap.get(trap.params[0]!).i32Const(1).op('i32.eq').if();
  trap.op('unreachable');
  trap.end();
  m.addFunction(trap, 'trap');

  const nop = new FunctionBuilder([i32], []);
  m.addFunction(nop, 'nop');

  const work = new FunctionBuilder([i32], [i32]);
  {
    const [n] = work.params;
    const x = work.local(i32);
    const done = work.block();
    work.get(n!).op('i32.eqz').brIf(done);
    const top = work.loop();
    work.get(x).i32Const(1664525).op('i32.mul').i32Const(1013904223).op('i32.add').set(x);
    work.get(n!).i32Const(1).op('i32.sub').tee(n!).brIf(top);
    work.end().end();
    work.get(x);
  }
  m.addFunction(work, 'work');
  return m.toBytes();
}

// ---- a module's memory import made shared ---------------------------------------------------------

function readU32(b: Uint8Array, pos: { at: number }): number {
  let v = 0;
  for (let scale = 1; ; scale *= 128) {
    const x = b[pos.at++]!;
    v += (x & 0x7f) * scale;
    if ((x & 0x80) === 0) return v;
  }
}

/**
 * `bytes` with its one memory import rewritten as shared with `maximumPages` (limits flag 0x03),
 * everything else unchanged: emitGemmModule imports an unshared memory, and gemm-simd.ts is
 * not this fixture's to change. Rewrites the import section and nothing else.
 */
export function withSharedMemoryImport(bytes: Uint8Array, maximumPages = MAX_MEMORY_PAGES): Uint8Array<ArrayBuffer> {
  const out = new ByteWriter().bytes(bytes.subarray(0, 8));
  const pos = { at: 8 };
  let rewritten = 0;
  while (pos.at < bytes.length) {
    const id = bytes[pos.at++]!;
    const size = readU32(bytes, pos);
    const end = pos.at + size;
    if (id !== 2) {
      out.byte(id).u32(size).bytes(bytes.subarray(pos.at, end));
      pos.at = end;
      continue;
    }
    const body = new ByteWriter();
    const count = readU32(bytes, pos);
    body.u32(count);
    for (let i = 0; i < count; i++) {
      for (let s = 0; s < 2; s++) { // module and field names
        const len = readU32(bytes, pos);
        body.u32(len).bytes(bytes.subarray(pos.at, pos.at + len));
        pos.at += len;
      }
      const kind = bytes[pos.at++]!;
      if (kind !== 2) throw new Error(`withSharedMemoryImport: import ${i} is of kind ${kind}, not a memory`);
      const flags = bytes[pos.at++]!;
      const initial = readU32(bytes, pos);
      if (flags & 1) readU32(bytes, pos);
      body.byte(2).byte(0x03).u32(initial).u32(maximumPages);
      rewritten++;
    }
    if (pos.at !== end) throw new Error('withSharedMemoryImport: import section longer than its entries');
    out.byte(id).sized(body);
  }
  if (rewritten !== 1) throw new Error(`withSharedMemoryImport: ${rewritten} memory imports, expected 1`);
  return out.toBytes();
}

// ---- the threaded GEMM driver ----------------------------------------------------------------------

type BlockFn = (pa: number, pb: number, c: number, mc: number, nc: number, kc: number, ldc: number, alpha: number, load: number) => void;

/** A GEMM module over a shared memory, its pool (null for one thread) and the block export on this thread. */
export interface ThreadedGemm {
  readonly config: GemmSimdConfig;
  readonly memory: KernelMemory;
  readonly pool: WasmThreadPool | null;
  readonly block: BlockFn;
  /** Per (jc, pc) step: how many `block` calls, for measuring dispatch. */
  batches: number;
  dispose(): void;
}

export async function threadedGemm(threads: number, config = defaultGemmSimdConfig(), options: WasmThreadPoolOptions = {}): Promise<ThreadedGemm> {
  const memory = KernelMemory.shared(16)!;
  const module = new WebAssembly.Module(withSharedMemoryImport(emitGemmModule({ mr: config.mr, nr: config.nr, fma: config.fma })));
  const pool = await WasmThreadPool.create(module, memory.memory, threads, options);
  const instance = pool?.instance ?? new WebAssembly.Instance(module, { env: { memory: memory.memory } });
  return { config, memory, pool, block: instance.exports.block as BlockFn, batches: 0, dispose: () => pool?.dispose() };
}

export type GemmSplit = 'rows' | 'cols';

const vec4 = (n: number) => Math.ceil(n / 4) * 4;

export interface GemmThreadedOptions {
  /** Split each step's block by rows of C (default) or by column strips. */
  readonly split?: GemmSplit;
  /** Calls per thread and step (default 1). */
  readonly callsPerThread?: number;
  /** A is already packed in memory from the previous call with the same A (a constant weight). */
  readonly aPacked?: boolean;
  /**
   * Pack the next step's B block on the calling thread while the workers start on this step
   * (post, pack, join; two B buffers). Default false: pack, then run the step.
   */
  readonly pipeline?: boolean;
  /** For measuring the packing's share only: skip packing B and compute with whatever the B buffers hold. */
  readonly skipPackingB?: boolean;
}

/**
 * C (m x n, row-major) = alpha * A (m x k, row-major) @ B (k x n, row-major) [+ C], the loops of
 * gemmSimdF32 (jc > pc > block calls) with each step's block split into threads * callsPerThread
 * calls over contiguous ranges of rows (or of column strips) of C, run by the pool (any thread
 * may take any call). k >= 1, m >= 2 (gemmSimdF32 sends other shapes to JS).
 */
export function gemmThreaded(
  g: ThreadedGemm, a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number,
  alpha: number, accumulate: boolean, o: GemmThreadedOptions = {},
): void {
  const { mr: MR, nr: NR, nc: NC } = g.config;
  const pool = g.pool;
  const parts = (pool?.threads ?? 1) * (o.callsPerThread ?? 1);
  const kcMax = gemmSimdBlockDepth(k, g.config.kc);
  const mPad = Math.ceil(m / MR) * MR;
  const ncMax = Math.min(NC, Math.ceil(n / NR) * NR);
  const bFloats = vec4(kcMax * ncMax);
  const aBase = 0, bBases = [vec4(mPad * k), vec4(mPad * k) + bFloats], cBase = bBases[1]! + bFloats;
  const mem = g.memory.reserveFloats(cBase + mPad * ncMax, `gemmThreaded (${m}x${k} @ ${k}x${n})`);
  if (o.aPacked !== true) for (let pc = 0; pc < k; pc += kcMax) packStrips(a, 0, k, 1, 0, m, pc, Math.min(kcMax, k - pc), MR, mem, aBase + pc * mPad);

  const steps: { jc: number; nc: number; ncPad: number; pc: number; kc: number }[] = [];
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) steps.push({ jc, nc, ncPad: Math.ceil(nc / NR) * NR, pc, kc: Math.min(kcMax, k - pc) });
  }
  const pack = (i: number) => {
    if (o.skipPackingB === true) return;
    const s = steps[i]!;
    packStrips(b, 0, 1, n, s.jc, s.nc, s.pc, s.kc, NR, mem, bBases[i % 2]!);
  };
  const args: number[] = [];
  pack(0);
  for (let i = 0; i < steps.length; i++) {
    const { jc, nc, ncPad, pc, kc } = steps[i]!;
    const bBase = bBases[i % 2]!;
    if (pc === 0 && accumulate) for (let r = 0; r < m; r++) mem.set(c.subarray(r * n + jc, r * n + jc + nc), cBase + r * ncPad);
    const load = accumulate || pc > 0 ? 1 : 0;
    const pa = 4 * (aBase + pc * mPad);
    args.length = 0;
    if (o.split !== 'cols') {
      const strips = mPad / MR;
      for (let p = 0; p < parts; p++) {
        const s0 = Math.floor((p * strips) / parts), s1 = Math.floor(((p + 1) * strips) / parts);
        if (s1 > s0) args.push(pa + 4 * s0 * MR * kc, 4 * bBase, 4 * (cBase + s0 * MR * ncPad), (s1 - s0) * MR, ncPad, kc, 4 * ncPad, alpha, load, ...NO_EPI);
      }
    } else {
      const strips = ncPad / NR;
      for (let p = 0; p < parts; p++) {
        const s0 = Math.floor((p * strips) / parts), s1 = Math.floor(((p + 1) * strips) / parts);
        if (s1 > s0) args.push(pa, 4 * (bBase + s0 * NR * kc), 4 * (cBase + s0 * NR), mPad, (s1 - s0) * NR, kc, 4 * ncPad, alpha, load, ...NO_EPI);
      }
    }
    g.batches++;
    const next = i + 1 < steps.length;
    if (pool !== null && o.pipeline === true) {
      pool.post('block', args);
      if (next) pack(i + 1); // into the other B buffer, while the workers compute this step
      pool.join();
    } else {
      if (pool !== null) pool.run('block', args);
      else for (let j = 0; j < args.length; j += 15) g.block(args[j]!, args[j + 1]!, args[j + 2]!, args[j + 3]!, args[j + 4]!, args[j + 5]!, args[j + 6]!, args[j + 7]!, args[j + 8]!);
      if (next) pack(i + 1);
    }
    if (i + 1 === steps.length || steps[i + 1]!.jc !== jc) {
      const view = g.memory.floats();
      for (let r = 0; r < m; r++) c.set(view.subarray(cBase + r * ncPad, cBase + r * ncPad + nc), r * n + jc);
    }
  }
}
