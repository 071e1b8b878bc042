import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import '../../src/node.js'; // registers the worker_threads factory, as a Node user gets it
import { KernelMemory, sharedMemoryAvailable } from '../../kernels/wasm/host.js';
import {
  emitterWorker, setWorkerFactory, threadPoolUnavailable, WasmThreadError, WasmThreadPool, type WorkerFactory,
} from '../../kernels/wasm/threads.js';
import { FunctionBuilder, ModuleBuilder, ValType } from '../../kernels/wasm/assembler.js';
import { Worker } from 'node:worker_threads';
import { probeModuleBytes } from '../helpers/threaded-gemm.js';

// WasmThreadPool mechanics on the probe module (test/helpers/threaded-gemm.ts): batches split
// across the calling thread and the workers, calls that must run at the same time, memory grown
// between batches, errors in a worker and on the calling thread, and every way to end up with no
// pool. Whether results are bit-identical is test/props/wasm-threads-gemm.test.ts; that processes
// exit and that Deno and Bun behave alike is test/portability/wasm-threads-runtimes.test.ts.

const nodeFactory: WorkerFactory = (url) => emitterWorker(new Worker(url));
const module = new WebAssembly.Module(probeModuleBytes());
const pools: WasmThreadPool[] = [];

async function pool(threads: number, memory = KernelMemory.shared(1)!): Promise<{ pool: WasmThreadPool; memory: KernelMemory }> {
  const reasons: string[] = [];
  // A deadline, so that a pool bug fails the test instead of blocking the test process forever.
  const p = await WasmThreadPool.create(module, memory.memory, threads, { onFallback: (r) => reasons.push(r), batchTimeoutMs: 20_000 });
  expect(p, reasons.join('; ')).not.toBeNull();
  pools.push(p!);
  return { pool: p!, memory };
}

afterEach(() => setWorkerFactory(nodeFactory));
afterAll(() => {
  for (const p of pools) p.dispose();
});

describe.skipIf(!sharedMemoryAvailable())('WasmThreadPool', () => {
  it('runs a batch across the calling thread and the workers', async () => {
    const { pool: p, memory } = await pool(3);
    expect(p.threads).toBe(3);
    const args = Array.from({ length: 7 }, (_, i) => [64 * i, 16, i + 0.5]).flat();
    p.run('fill', args);
    const f = memory.floats();
    for (let i = 0; i < 7; i++) expect(Array.from(f.subarray(16 * i, 16 * i + 16))).toEqual(Array(16).fill(i + 0.5));
    // fewer calls than threads, and none
    p.run('fill', [0, 1, 9]);
    expect(f[0]).toBe(9);
    p.run('fill', []);
  });

  it('runs several modules in one set of workers, their exports named module.export', async () => {
    const memory = KernelMemory.shared(1)!;
    const p = await WasmThreadPool.create(new Map([['a', module], ['b', module]]), memory.memory, 3, { batchTimeoutMs: 20_000 });
    expect(p).not.toBeNull();
    pools.push(p!);
    expect(p!.threads).toBe(3);
    expect([...p!.instances.keys()]).toEqual(['a', 'b']);
    p!.run('a.fill', Array.from({ length: 5 }, (_, i) => [64 * i, 16, i + 1]).flat());
    p!.run('b.fill', Array.from({ length: 5 }, (_, i) => [64 * i + 32, 8, -(i + 1)]).flat());
    const f = memory.floats();
    for (let i = 0; i < 5; i++) {
      expect(Array.from(f.subarray(16 * i, 16 * i + 8))).toEqual(Array(8).fill(i + 1));
      expect(Array.from(f.subarray(16 * i + 8, 16 * i + 16))).toEqual(Array(8).fill(-(i + 1)));
    }
    expect(() => p!.run('fill', [0, 1, 1])).toThrow(/exports no function 'fill'/);
  });

  it('converts arguments as a direct call does (an f32 parameter is rounded)', async () => {
    const { pool: p, memory } = await pool(2);
    p.run('fill', [0, 1, 0.1, 4, 1, 1e40, 8, 1, -0]);
    expect(Array.from(memory.floats().subarray(0, 3))).toEqual([Math.fround(0.1), Infinity, -0]);
  });

  it('runs the calls of a batch at the same time (a barrier only all threads together pass)', async () => {
    for (const threads of [2, 3]) {
      const { pool: p, memory } = await pool(threads);
      const i32 = new Int32Array(memory.memory.buffer);
      for (let round = 0; round < 5; round++) {
        i32[64] = 0; // counter at byte 256, failure flag at 260
        i32[65] = 0;
        p.run('arrive', Array.from({ length: threads }, () => [256, threads, 260, -1, -1]).flat());
        expect([Atomics.load(i32, 64), Atomics.load(i32, 65)]).toEqual([threads, 0]);
      }
    }
  });

  it('keeps working when the 20-bit batch generation wraps around', async () => {
    const { pool: p, memory } = await pool(2);
    const i32 = new Int32Array(memory.memory.buffer);
    const both = () => {
      i32[64] = 0;
      i32[65] = 0;
      p.run('arrive', [256, 2, 260, -1, -1, 256, 2, 260, -1, -1]); // needs both threads
      expect(i32[65]).toBe(0);
    };
    both();
    for (let i = 0; i < 2 ** 20; i++) p.run('nop', [i]);
    both();
    p.run('fill', [0, 1, 3, 4, 1, 4]);
    expect(Array.from(memory.floats().subarray(0, 2))).toEqual([3, 4]);
  });

  it('runs batches larger than its argument buffer in chunks', async () => {
    const { pool: p, memory } = await pool(2);
    const calls = 20_000; // more than a chunk holds (16,384 arguments, 4094 calls)
    memory.reserveFloats(calls, 'test');
    p.run('fill', Array.from({ length: calls }, (_, i) => [4 * i, 1, i]).flat());
    const f = memory.floats();
    let wrong = 0;
    for (let i = 0; i < calls; i++) if (f[i] !== i) wrong++;
    expect(wrong).toBe(0);
  });

  it('sees memory grown between batches, in every thread', async () => {
    const { pool: p, memory } = await pool(3);
    for (const floats of [100_000, 1_000_000, 3_000_000]) {
      const before = memory.memory.buffer.byteLength;
      memory.reserveFloats(floats, 'test');
      expect(memory.memory.buffer.byteLength).toBeGreaterThan(before);
      // one call per thread, each writing the last 1000 floats' share of the new memory
      const last = floats - 999;
      p.run('fill', [4 * (last - 2000), 999, 1, 4 * (last - 1000), 999, 2, 4 * last, 999, 3]);
      const f = memory.floats();
      expect([f[last - 2000], f[last - 1002], f[last - 1000], f[last - 2], f[last], f[floats - 2]]).toEqual([1, 1, 2, 2, 3, 3]);
    }
    // grown by a kernel instead (memory.grow on the calling thread's instance)
    const grow = new FunctionBuilder([ValType.i32], [ValType.i32]);
    grow.get(grow.params[0]!).memoryGrow();
    const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1, maximum: 65536, shared: true });
    m.addFunction(grow, 'grow');
    const growFn = new WebAssembly.Instance(new WebAssembly.Module(m.toBytes()), { env: { memory: memory.memory } }).exports.grow as (n: number) => number;
    const pages = growFn(16);
    const end = (pages + 16) * 16384;
    p.run('fill', [0, 1, 5, 4 * (end - 2), 1, 6, 4 * (end - 1), 1, 7]);
    expect(Array.from(memory.floats().subarray(end - 2))).toEqual([6, 7]);
  });

  it('throws a WasmThreadError naming the worker and the lowest failing call, and stays usable', async () => {
    const { pool: p, memory } = await pool(2);
    const i32 = new Int32Array(memory.memory.buffer);
    const barrier = (trapMark: number) => {
      // two calls that must run on both threads at once; the one on an instance marked trapMark traps
      i32[64] = 0;
      i32[65] = 0;
      p.run('arrive', [256, 2, 260, trapMark, -1, 256, 2, 260, trapMark, -1]);
    };
    (p.instance.exports.setMark as (v: number) => void)(1); // the calling thread's instance; the worker's stays 0
    let err: unknown;
    try {
      barrier(0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WasmThreadError);
    expect((err as WasmThreadError).code).toBe('WASM_THREAD');
    expect((err as WasmThreadError).thread).toBe(1);
    expect((err as Error).message).toMatch(/^worker 1 \(of 2 threads\) failed in call [01] of 'arrive' \(256, 2, 260, 0, -1\): RuntimeError: unreachable/);
    try {
      barrier(1);
    } catch (e) {
      err = e;
    }
    expect((err as WasmThreadError).thread).toBe(0);
    expect((err as Error).message).toMatch(/^the calling thread \(1 of 2\) failed in call [01] of 'arrive' \(256, 2, 260, 1, -1\): RuntimeError: unreachable/);
    expect((err as Error).cause).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(i32[65]).toBe(0); // both calls passed the barrier: they ran at the same time
    // whichever threads run them, the lowest failing call is the one named, and every call ran
    expect(() => p.run('trap', [0, 0, 0, 1, 0, 1])).toThrow(/failed in call 3 of 'trap' \(1\)/);
    p.run('fill', [0, 1, 1, 4, 1, 2, 8, 1, 3]);
    expect(Array.from(memory.floats().subarray(0, 3))).toEqual([1, 2, 3]);
  });

  it('never misses a first batch published right after the workers said ready', async () => {
    for (let i = 0; i < 10; i++) {
      const { pool: p, memory } = await pool(3);
      p.run('fill', [0, 1, i, 4, 1, i, 8, 1, i]);
      expect(Array.from(memory.floats().subarray(0, 3))).toEqual([i, i, i]);
      p.dispose();
    }
  });

  it('keeps its workers polling until the task that ran a batch ends, then lets them sleep', async () => {
    const memory = KernelMemory.shared(1)!;
    const p = await WasmThreadPool.create(module, memory.memory, 2, { spinMicros: 50, batchTimeoutMs: 20_000 });
    expect(p).not.toBeNull();
    pools.push(p!);
    const until = async (what: () => boolean) => {
      for (let t0 = Date.now(); !what() && Date.now() - t0 < 5000;) await new Promise((r) => setTimeout(r, 5));
      return what();
    };
    expect(await until(() => p!.sleepingWorkers === 1)).toBe(true);
    // Within one synchronous task, 30 ms (600x spinMicros) after a batch the worker still polls.
    p!.run('fill', [0, 16, 1, 64, 16, 2]);
    for (const t0 = performance.now(); performance.now() - t0 < 30;) { /* a long JS op between batches */ }
    expect(p!.sleepingWorkers).toBe(0);
    p!.run('fill', [0, 16, 3, 64, 16, 4]);
    expect(Array.from(memory.floats().subarray(0, 32))).toEqual([...Array(16).fill(3), ...Array(16).fill(4)]);
    // Once the task has ended, it goes back to sleep.
    expect(await until(() => p!.sleepingWorkers === 1)).toBe(true);
  });

  it('only polls on a thread that may not block (a browser main thread), and still finishes', async () => {
    const real = Atomics as unknown as Record<string, unknown>;
    const fake: Record<string, unknown> = Object.fromEntries(Object.getOwnPropertyNames(Atomics).map((k) => [k, real[k]]));
    let waits = 0;
    fake.wait = () => {
      waits++;
      throw new TypeError('Atomics.wait cannot be called in this context');
    };
    vi.resetModules();
    vi.stubGlobal('Atomics', fake);
    try {
      const fresh = await import('../../kernels/wasm/threads.js');
      fresh.setWorkerFactory(nodeFactory);
      const memory = KernelMemory.shared(1)!;
      const p = (await fresh.WasmThreadPool.create(module, memory.memory, 2, { spinMicros: 0 }))!;
      pools.push(p);
      for (let i = 0; i < 20; i++) p.run('fill', [0, 1, i, 4, 1, i + 1]);
      expect(Array.from(memory.floats().subarray(0, 2))).toEqual([19, 20]);
      expect(waits).toBe(1); // the probe, once
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it('gives up on a worker that does not finish within batchTimeoutMs, and refuses further batches', async () => {
    const memory = KernelMemory.shared(1)!;
    const p = (await WasmThreadPool.create(module, memory.memory, 2, { batchTimeoutMs: 300 }))!;
    pools.push(p);
    const i32 = new Int32Array(memory.memory.buffer);
    i32[64] = 0;
    i32[65] = 0;
    // two calls that must run one per thread (a barrier of 2), after which the worker's instance
    // (mark 0; the caller's is 1) waits about 2 s: the caller gives up at 300 ms
    (p.instance.exports.setMark as (v: number) => void)(1);
    // (without the deadline the batch would end after the 2 s, without an error)
    expect(() => p.run('arrive', [256, 2, 260, -1, 0, 256, 2, 260, -1, 0])).toThrow(/a batch of 'arrive' did not finish within 300 ms \(1 of 2 calls done\); dispose this pool/);
    expect(() => p.run('fill', [0, 1, 1, 4, 1, 1])).toThrow(/did not finish .*dispose this pool/);
    p.dispose();
  });

  it('post() starts a batch and returns; join() takes part and waits; errors surface at join()', async () => {
    const { pool: p, memory } = await pool(3);
    const f = memory.floats();
    p.join(); // nothing posted: nothing to do
    p.post('fill', [0, 1000, 1, 4000, 1000, 2, 8000, 1000, 3, 12000, 1000, 4]);
    // this thread is free meanwhile (in a GEMM: packing the next block elsewhere in memory)
    f.fill(9, 5000, 6000);
    expect(() => p.run('fill', [0, 1, 1])).toThrow(/a posted batch of 'fill' has not been joined/);
    expect(() => p.post('fill', [0, 1, 1])).toThrow(/has not been joined/);
    p.join();
    expect([f[0], f[999], f[1000], f[2999], f[3000], f[3999], f[5000]]).toEqual([1, 1, 2, 3, 4, 4, 9]);
    expect(p.maxBatchCalls('fill')).toBe(4094);
    expect(() => p.post('fill', new Array(3 * 4095).fill(0))).toThrow(/4095 calls of 'fill', over the 4094 a posted batch holds/);
    p.post('trap', [0, 1, 0, 1]);
    expect(() => p.join()).toThrow(/failed in call 1 of 'trap'/);
    p.join();
    p.run('fill', [0, 1, 7]);
    expect(f[0]).toBe(7);
  });

  it('refuses misuse with a message that says what is wrong', async () => {
    const { pool: p } = await pool(2);
    expect(() => p.run('nope', [1])).toThrow(/exports no function 'nope'/);
    expect(() => p.run('fill', [0, 1])).toThrow(/2 arguments are not whole calls of 'fill' \(3 each\)/);
    p.dispose();
    p.dispose();
    expect(p.disposed).toBe(true);
    expect(() => p.run('fill', [0, 1, 1])).toThrow(/disposed/);
    const unshared = new KernelMemory(1);
    await expect(WasmThreadPool.create(module, unshared.memory, 2)).rejects.toThrow(/memory is not shared/);
    const noImports = new ModuleBuilder();
    noImports.addFunction(new FunctionBuilder([], []), 'f');
    await expect(WasmThreadPool.create(new WebAssembly.Module(noImports.toBytes()), KernelMemory.shared(1)!.memory, 2)).rejects.toThrow(/imports nothing; a pool provides exactly one memory/);
  });
});

describe('no pool, no error: one thread', () => {
  const create = async (threads: number, memory = KernelMemory.shared(1)!) => {
    const reasons: string[] = [];
    const p = await WasmThreadPool.create(module, memory.memory, threads, { onFallback: (r) => reasons.push(r), startTimeoutMs: 5000 });
    if (p !== null) pools.push(p);
    return { p, reasons, memory };
  };

  it('for one thread', async () => {
    const { p, reasons } = await create(1);
    expect(p).toBeNull();
    expect(reasons[0]).toMatch(/1 thread\(s\) asked for/);
  });

  it('where no Worker exists and none is registered', async () => {
    setWorkerFactory(null);
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe('undefined'); // Node 20
    expect(threadPoolUnavailable()).toMatch(/no Worker/);
    const { p, reasons } = await create(2);
    expect(p).toBeNull();
    expect(reasons[0]).toMatch(/no Worker .*Node entry/);
  });

  it('where SharedArrayBuffer is missing', async () => {
    const memory = KernelMemory.shared(1)!;
    vi.stubGlobal('SharedArrayBuffer', undefined);
    try {
      const { p, reasons } = await create(2, memory);
      expect(p).toBeNull();
      expect(reasons[0]).toMatch(/SharedArrayBuffer or Atomics is missing/);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('when workers cannot be created, fail to load, never answer or cannot instantiate', async () => {
    setWorkerFactory(() => {
      throw new Error('Worker is not allowed here');
    });
    let r = await create(3);
    expect(r.p).toBeNull();
    expect(r.reasons[0]).toMatch(/2 of 2 workers did not start \(worker 1: could not be created: Error: Worker is not allowed here; worker 2: /);

    setWorkerFactory((url) => nodeFactory(new URL('./no-such-worker.js', url)));
    r = await create(2);
    expect(r.p).toBeNull();
    expect(r.reasons[0]).toMatch(/worker 1: .*(Cannot find module|ERR_MODULE_NOT_FOUND)/);

    // a worker that never answers (it ignores the message): dropped after the start timeout
    setWorkerFactory(() => ({ postMessage() {}, terminate() {}, onMessage() {}, onError() {} }));
    const t0 = performance.now();
    const silent = await WasmThreadPool.create(module, KernelMemory.shared(1)!.memory, 2, { startTimeoutMs: 50, onFallback: (m) => r.reasons.push(m) });
    expect(silent).toBeNull();
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.reasons.at(-1)).toMatch(/did not start within 50 ms/);

    // a message that cannot be posted (an unshared memory cannot be cloned)
    type Init = { modules: { memoryImport: object }[] };
    const altered = (change: (m: Init) => object): WorkerFactory => (url) => {
      const w = nodeFactory(url);
      return { ...w, postMessage: (m) => w.postMessage({ ...(m as Init), ...change(m as Init) }) };
    };
    setWorkerFactory(altered(() => ({ memory: new WebAssembly.Memory({ initial: 1 }) })));
    r = await create(2);
    expect(r.p).toBeNull();
    expect(r.reasons[0]).toMatch(/worker 1: the module or memory could not be posted to it: DataCloneError/);

    // a worker whose module cannot be instantiated (here: the memory offered under another name) says why
    setWorkerFactory(altered((m) => ({ modules: m.modules.map((p) => ({ ...p, memoryImport: { module: 'env', name: 'elsewhere' } })) })));
    r = await create(2);
    expect(r.p).toBeNull();
    expect(r.reasons[0]).toMatch(/worker 1: could not instantiate the module: LinkError: .*memory/i);
  });

  it('keeps the workers that started when others did not (fewer threads, same results)', async () => {
    let n = 0;
    setWorkerFactory((url) => {
      if (n++ === 1) throw new Error('the second worker is refused');
      return nodeFactory(url);
    });
    const { p, reasons, memory } = await create(3);
    expect(p).not.toBeNull();
    expect(p!.threads).toBe(2);
    expect(reasons[0]).toMatch(/1 of 2 workers did not start \(worker 2: could not be created/);
    p!.run('fill', [0, 1, 1, 4, 1, 2, 8, 1, 3]);
    expect(Array.from(memory.floats().subarray(0, 3))).toEqual([1, 2, 3]);
  });
});
