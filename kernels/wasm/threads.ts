// A pool of worker threads that run WebAssembly kernel calls in parallel over one shared
// WebAssembly.Memory (KernelMemory.shared), with the calling thread taking part in every batch.
//
// Each worker instantiates the same WebAssembly.Modules over the same memory (both can be posted
// to a worker; a pool may run several modules, whose exports it names `module.export`, so that
// one set of workers serves every kernel of an engine) and then waits on its slot of a control block (a SharedArrayBuffer of Int32s, one
// 64-byte slot per worker and one for the batch, so that slots do not share a cache line).
// `run(name, args)` executes a batch of calls to one export: args is a flat list of argument
// tuples, copied to a shared Float64Array. The caller publishes the batch, wakes the workers
// (notifying only those asleep) and claims calls itself. The calls are dealt out in contiguous
// ranges, one queue per thread (the t-th share to thread t, so that each part of the data stays
// on one core from batch to batch); a thread claims the next call of its own queue, then of the
// others', with one compare-and-swap on a word holding the batch's generation and the queue's next
// index, so a worker that wakes late (the machine is busy, the futex wake took 50 µs) simply
// finds less to do instead of holding the batch up. The caller returns once every call has finished. Waiting
// threads poll briefly (`spinMicros`) before Atomics.wait, because a futex wake costs tens of
// microseconds and batches come back to back during a GEMM. A browser's main thread may not
// Atomics.wait: there the caller only polls.
//
// Results do not depend on the thread count, nor on which thread ran which call, as long as each
// call computes its outputs alone (the GEMM's `block` over disjoint row or column ranges of C,
// each element summed in the same order whoever computes it): that is the caller's contract.
//
// Platform: web-standard APIs only. Deno, Bun and browsers have a global module `Worker`; Node's
// entry (src/node.ts) registers a node:worker_threads factory with setWorkerFactory. Workers are
// unref'd once started where the runtime allows it (Node, Bun), so that a pool never keeps a
// process alive; Deno's web Worker cannot be: dispose the pool there. The worker script is
// threads-worker.js beside this file (plain JavaScript, copied to dist/ by tsc). Where
// SharedArrayBuffer, Atomics or workers are missing, or no worker starts, `create` resolves to
// null: run the kernel on one thread.

/** What the pool needs of a worker; a web Worker or a Node worker_threads Worker, adapted. */
export interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  /** Messages the worker posts. */
  onMessage(listener: (data: unknown) => void): void;
  /** The worker failed to load, threw outside a call, or exited. */
  onError(listener: (message: string) => void): void;
  /** Lets the process exit while the worker lives (Node); called once the worker is ready. */
  unref?(): void;
}

/** Starts a worker running the module script at `url`. */
export type WorkerFactory = (url: URL) => WorkerLike;

let workerFactory: WorkerFactory | null = null;

/** Installs how workers are started (Node's entry registers worker_threads); null restores the global Worker. */
export function setWorkerFactory(factory: WorkerFactory | null): void {
  workerFactory = factory;
}

/** A Node-style worker: worker_threads.Worker in Node, Deno and Bun. */
export interface EmitterWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
  on(type: 'message', listener: (data: unknown) => void): unknown;
  on(type: 'error', listener: (error: Error) => void): unknown;
  on(type: 'exit', listener: (code: number) => void): unknown;
  unref(): void;
}

/** Adapts a worker_threads.Worker (for setWorkerFactory). */
export function emitterWorker(w: EmitterWorker): WorkerLike {
  return {
    postMessage: (m) => w.postMessage(m),
    terminate: () => void w.terminate(),
    onMessage: (l) => void w.on('message', l),
    onError: (l) => {
      w.on('error', (e) => l(describe(e)));
      w.on('exit', (code) => l(`exited with code ${code}`));
    },
    unref: () => w.unref(),
  };
}

function webWorker(url: URL): WorkerLike {
  const w = new Worker(url, { type: 'module' });
  // Bun's Worker has Node's unref(); Deno's and browsers' do not (dispose the pool there).
  const unref = (w as Worker & { unref?: () => void }).unref;
  return {
    ...(typeof unref === 'function' ? { unref: () => unref.call(w) } : {}),
    postMessage: (m) => w.postMessage(m),
    terminate: () => w.terminate(),
    onMessage: (l) => w.addEventListener('message', (e) => l(e.data)),
    onError: (l) => {
      w.addEventListener('error', (e) => l(e.message || 'the worker script failed to load'));
      w.addEventListener('messageerror', () => l('a message to the worker could not be deserialised'));
    },
  };
}

/** A call on a worker (or the calling thread) threw, or the pool cannot run. */
export class WasmThreadError extends Error {
  readonly code = 'WASM_THREAD';
  constructor(
    message: string,
    /** 0 for the calling thread, 1.. for the workers; -1 when no call was running. */
    readonly thread = -1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WasmThreadError';
  }
}

export interface WasmThreadPoolOptions {
  /** The worker script (default: threads-worker.js beside this module), for bundlers that move it. */
  readonly workerUrl?: URL;
  /** How long to wait for each worker to start (default 10 s); a worker that does not is dropped. */
  readonly startTimeoutMs?: number;
  /**
   * How long a waiting thread polls before it sleeps in Atomics.wait (default 50 µs). Longer
   * polling saves the futex wake (30-60 µs) between batches that are further apart, but on a
   * machine where another process holds a core it takes time from the thread doing the work.
   */
  readonly spinMicros?: number;
  /**
   * Longest wait for a worker to finish its share of a batch before run() gives up with a
   * WasmThreadError and the pool refuses further batches (default: no limit). A worker that
   * died mid-batch (killed by the host, out of memory) would otherwise be waited for forever.
   */
  readonly batchTimeoutMs?: number;
  /** Told why the pool runs fewer threads than asked (or none: create resolved to null). */
  readonly onFallback?: (reason: string) => void;
}

/**
 * The control block: Int32 indices. Slot 0 (the first STRIDE Int32s) describes the batch; worker
 * w has slot w + 1; then one queue per thread taking part, each on its own line: QNEXT holds
 * (generation << 12) | its next call index and QEND the end of its range (20 bits of generation:
 * a stale claim would need a thread to sleep between two instructions through a million batches
 * and find the same index). WORK holds generation << 12, with CLOSED as its index while the batch
 * is being set up; THREADS is how many threads (queues) the batch has, and a worker's TINDEX its
 * queue.
 */
const LAYOUT = Object.freeze({
  // the batch
  WORK: 0, FINISHED: 1, COUNT: 2, FN: 3, ARITY: 4, CALLER_SLEEPING: 5, HOLD: 6, THREADS: 7,
  // a worker's slot
  SEQ: 0, CMD: 1, WORKER_SLEEPING: 2, STATUS: 3, ERR_CALL: 4, ERR_LEN: 5, TINDEX: 6,
  // a queue
  QNEXT: 0, QEND: 1,
  /** 16 Int32s: 64 bytes, a cache line. */
  STRIDE: 16,
  /** Characters of error text per worker. */
  TEXT_CHARS: 1024,
  CLOSED: 0xfff,
  RUN: 1, EXIT: 2,
});
/** Capacity of the shared argument buffer in float64s (128 KiB); larger batches run in chunks. */
const ARG_FLOATS = 16384;
/** Calls per chunk: what the argument buffer holds, and fewer than CLOSED. */
const chunkCalls = (arity: number) => Math.min(LAYOUT.CLOSED - 1, Math.floor(ARG_FLOATS / Math.max(1, arity)));
/** Longest single Atomics.wait, so that terminate() and slow wakes are never stuck behind one. */
const WAIT_SLICE_MS = 100;
const MAX_THREADS = 64;

type Fn = (...args: number[]) => unknown;

/** One module of a pool as its workers receive it: they instantiate it and index its exports in this order. */
interface ModulePart {
  readonly name: string;
  readonly module: WebAssembly.Module;
  readonly memoryImport: { readonly module: string; readonly name: string };
  readonly exportNames: readonly string[];
}

/** How a pool names a module's export: `module.export`, or the export alone for a lone unnamed module. */
const qualified = (module: string, exp: string) => (module === '' ? exp : `${module}.${exp}`);

const now = () => performance.now();

let callerBlocks: boolean | undefined;
/** False on a browser's main thread, where Atomics.wait throws. */
function callerCanBlock(): boolean {
  if (callerBlocks === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // not-equal: returns at once
      callerBlocks = true;
    } catch {
      callerBlocks = false;
    }
  }
  return callerBlocks;
}

/** Why this host cannot run a pool (null when it can). */
export function threadPoolUnavailable(): string | null {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'SharedArrayBuffer or Atomics is missing (a browser needs cross-origin isolation)';
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return 'the page is not cross-origin isolated, so shared memory cannot reach a worker';
  if (workerFactory === null && typeof Worker !== 'function') return 'this host has no Worker (Node: import the Node entry, which registers worker_threads)';
  return null;
}

interface Started {
  readonly worker: WorkerLike;
  readonly slot: number;
}

/** A batch runner over threads (see the file comment). Make one with `WasmThreadPool.create`. */
export class WasmThreadPool {
  /** The calling thread plus the workers that started. */
  readonly threads: number;
  /** The (first) module instantiated on the calling thread over the same memory. */
  readonly instance: WebAssembly.Instance;
  /** Every module's instance on the calling thread, by the name create() was given ('' for a lone module). */
  readonly instances: ReadonlyMap<string, WebAssembly.Instance>;
  private readonly ctl: Int32Array;
  /** Index of queue 0 in the control block. */
  private readonly queues: number;
  private readonly argBuf: Float64Array;
  private readonly text: Uint16Array;
  private readonly fns: Fn[];
  private readonly fnIndex: Map<string, number>;
  private readonly seqs: number[];
  private gen = 0;
  private readonly spinMs: number;
  private readonly timeoutMs: number;
  private readonly canBlock = callerCanBlock();
  private pending: { readonly name: string; readonly n: number; readonly first: number; readonly count: number } | null = null;
  /** Workers are told to keep polling until this thread's current task ends (see publish). */
  private held = false;
  private readonly unhold = () => {
    this.held = false;
    Atomics.store(this.ctl, LAYOUT.HOLD, 0);
  };
  private closed = false;
  private broken: string | null = null;

  private constructor(
    instances: ReadonlyMap<string, WebAssembly.Instance>, parts: readonly ModulePart[], private readonly workers: readonly Started[],
    control: SharedArrayBuffer, args: SharedArrayBuffer, text: SharedArrayBuffer, spinMs: number, timeoutMs: number,
  ) {
    this.instances = instances;
    this.instance = instances.values().next().value!;
    this.threads = workers.length + 1;
    this.ctl = new Int32Array(control);
    this.queues = (Math.floor(this.ctl.length / LAYOUT.STRIDE) + 1) / 2 * LAYOUT.STRIDE;
    this.argBuf = new Float64Array(args);
    this.text = new Uint16Array(text);
    this.fns = [];
    this.fnIndex = new Map();
    for (const part of parts) {
      const inst = instances.get(part.name)!;
      for (const e of part.exportNames) {
        this.fnIndex.set(qualified(part.name, e), this.fns.length);
        this.fns.push(inst.exports[e] as Fn);
      }
    }
    this.seqs = workers.map(() => 0);
    this.spinMs = spinMs;
    this.timeoutMs = timeoutMs;
    workers.forEach(({ worker }, i) => worker.onError((message) => {
      if (!this.closed) this.broken ??= `worker ${i + 1} stopped: ${message}`;
    }));
  }

  /**
   * A pool of `threads` threads in all (the caller and threads - 1 workers) running `module`, whose
   * only import must be a memory, over the shared `memory`; or several modules by name (their
   * exports are then run as `name.export`), each instantiated by every thread. Resolves to null
   * where a pool cannot help: threads <= 1, no SharedArrayBuffer / Atomics / Worker, or no worker
   * started (then run the module on this thread). Workers that fail to start are dropped
   * (options.onFallback says why).
   */
  static async create(
    module: WebAssembly.Module | ReadonlyMap<string, WebAssembly.Module>, memory: WebAssembly.Memory, threads: number,
    options: WasmThreadPoolOptions = {},
  ): Promise<WasmThreadPool | null> {
    const fallback = (reason: string) => {
      options.onFallback?.(reason);
      return null;
    };
    const want = Math.min(MAX_THREADS, Math.floor(threads));
    if (!(want >= 2)) return fallback(`${threads} thread(s) asked for: nothing to share`);
    const missing = threadPoolUnavailable();
    if (missing !== null) return fallback(missing);
    if (!(memory.buffer instanceof SharedArrayBuffer)) {
      throw new WasmThreadError('WasmThreadPool.create: the memory is not shared (make it with KernelMemory.shared, and import it as shared)');
    }
    const named = module instanceof WebAssembly.Module ? new Map([['', module]]) : module;
    if (named.size === 0) throw new WasmThreadError('WasmThreadPool.create: no module given');
    const parts: ModulePart[] = [];
    const instances = new Map<string, WebAssembly.Instance>();
    for (const [name, m] of named) {
      const imports = WebAssembly.Module.imports(m);
      const memoryImport = imports[0];
      if (imports.length !== 1 || memoryImport?.kind !== 'memory') {
        const which = name === '' ? 'the module' : `module '${name}'`;
        throw new WasmThreadError(`WasmThreadPool.create: ${which} imports ${imports.map((i) => `${i.module}.${i.name} (${i.kind})`).join(', ') || 'nothing'}; a pool provides exactly one memory`);
      }
      instances.set(name, new WebAssembly.Instance(m, { [memoryImport.module]: { [memoryImport.name]: memory } }));
      parts.push({
        name, module: m, memoryImport: { module: memoryImport.module, name: memoryImport.name },
        exportNames: WebAssembly.Module.exports(m).filter((e) => e.kind === 'function').map((e) => e.name),
      });
    }

    // The batch slot, a slot per worker, a queue per thread.
    const control = new SharedArrayBuffer((2 * want + 1) * LAYOUT.STRIDE * 4);
    const args = new SharedArrayBuffer(ARG_FLOATS * 8);
    const text = new SharedArrayBuffer(want * LAYOUT.TEXT_CHARS * 2);
    const url = options.workerUrl ?? new URL('./threads-worker.js', import.meta.url);
    const spinMs = (options.spinMicros ?? 50) / 1000;
    const init = (slot: number) => ({
      kind: 'tessera-wasm-threads', modules: parts, memory, control, args, text, slot, layout: LAYOUT, spinMs, sliceMs: WAIT_SLICE_MS,
      queues: (want + 1) * LAYOUT.STRIDE,
    });
    const outcomes = await Promise.all(Array.from({ length: want - 1 }, (_, slot) =>
      startWorker(url, init(slot), options.startTimeoutMs ?? 10_000)));
    const started: Started[] = [];
    const failures: string[] = [];
    outcomes.forEach((o, slot) => {
      if (typeof o === 'string') failures.push(`worker ${slot + 1}: ${o}`);
      else started.push({ worker: o, slot });
    });
    if (failures.length > 0) options.onFallback?.(`${failures.length} of ${want - 1} workers did not start (${failures.join('; ')})`);
    if (started.length === 0) return null;
    for (const { worker } of started) worker.unref?.();
    // Worker i (in start order) owns queue i + 1; the calling thread queue 0.
    const ctl = new Int32Array(control);
    started.forEach(({ slot }, i) => Atomics.store(ctl, (slot + 1) * LAYOUT.STRIDE + LAYOUT.TINDEX, i + 1));
    return new WasmThreadPool(instances, parts, started, control, args, text, spinMs, options.batchTimeoutMs ?? Infinity);
  }

  /** Workers asleep in Atomics.wait right now (the others are polling or running calls); for tests and diagnostics. */
  get sleepingWorkers(): number {
    let n = 0;
    for (const { slot } of this.workers) if (Atomics.load(this.ctl, (slot + 1) * LAYOUT.STRIDE + LAYOUT.WORKER_SLEEPING) !== 0) n++;
    return n;
  }

  /** True once dispose() ran. */
  get disposed(): boolean {
    return this.closed;
  }

  /**
   * Runs the calls `exportName(args[i * a], ..., args[i * a + a - 1])` for every tuple i (a = the
   * export's parameter count) across the pool and returns when all have finished. Numbers are
   * passed as float64 and converted by WebAssembly as a direct call would (i32: ToInt32, f32:
   * rounded). Which thread runs which call is not fixed. Throws a WasmThreadError naming the
   * thread and the lowest failing call when calls throw (after every call has ended; the other
   * calls have run). Batches larger than `maxBatchCalls` run as several.
   */
  run(exportName: string, args: ArrayLike<number>): void {
    const { f, n } = this.check('run', exportName, args);
    const count = args.length / n;
    const chunk = chunkCalls(n);
    for (let first = 0; first < count; first += chunk) {
      const calls = Math.min(chunk, count - first);
      this.publish(exportName, f, n, args, first, calls, calls - 1); // this thread takes one at once
      this.join();
    }
  }

  /**
   * Starts a batch (at most maxBatchCalls(exportName) calls) on the workers and returns at once,
   * so that this thread can do other work meanwhile (pack the next GEMM block) before join()
   * takes part in what is left. Until join() returns, do not touch memory the calls read or write.
   */
  post(exportName: string, args: ArrayLike<number>): void {
    const { f, n } = this.check('post', exportName, args);
    if (args.length / n > chunkCalls(n)) {
      throw new WasmThreadError(`WasmThreadPool.post: ${args.length / n} calls of '${exportName}', over the ${chunkCalls(n)} a posted batch holds (run() splits larger ones)`);
    }
    this.publish(exportName, f, n, args, 0, args.length / n, args.length / n);
  }

  /** Runs what is left of the posted batch on this thread too, and returns when every call has finished; throws as run() does. */
  join(): void {
    const b = this.pending;
    if (b === null) return;
    this.pending = null;
    const L = LAYOUT;
    const ctl = this.ctl;
    const own = claimCalls(ctl, this.queues, 0, this.fns, this.argBuf);
    if (!this.waitFinished(b.count, now() + this.timeoutMs)) {
      this.broken = `a batch of '${b.name}' did not finish within ${this.timeoutMs} ms (${Atomics.load(ctl, L.FINISHED)} of ${b.count} calls done)`;
      throw new WasmThreadError(`WasmThreadPool.run: ${this.broken}; dispose this pool`);
    }
    // The failing call with the lowest index, whichever thread ran it.
    let thread = -1, call = Infinity, message = '', cause: unknown;
    if (own !== null) [thread, call, message, cause] = [0, own.call, describe(own.error), own.error];
    this.workers.forEach(({ slot }, w) => {
      const base = (slot + 1) * L.STRIDE;
      if (ctl[base + L.STATUS] === 0 || ctl[base + L.ERR_CALL]! >= call) return;
      const t0 = slot * L.TEXT_CHARS;
      [thread, call, message, cause] = [w + 1, ctl[base + L.ERR_CALL]!, String.fromCharCode(...this.text.subarray(t0, t0 + ctl[base + L.ERR_LEN]!)), undefined];
    });
    if (thread < 0) return;
    const who = thread === 0 ? `the calling thread (1 of ${this.threads})` : `worker ${thread} (of ${this.threads} threads)`;
    throw new WasmThreadError(`${who} failed in call ${b.first + call} of '${b.name}' (${tuple(this.argBuf, call * b.n, b.n)}): ${message}`, thread, { cause });
  }

  /** The most calls of `exportName` one posted batch holds. */
  maxBatchCalls(exportName: string): number {
    const f = this.fnIndex.get(exportName);
    return f === undefined ? 0 : chunkCalls(this.fns[f]!.length);
  }

  private check(what: string, exportName: string, args: ArrayLike<number>): { f: number; n: number } {
    const f = this.fnIndex.get(exportName);
    if (f === undefined) throw new WasmThreadError(`WasmThreadPool.${what}: the module exports no function '${exportName}'`);
    const n = this.fns[f]!.length;
    if (n === 0) throw new WasmThreadError(`WasmThreadPool.${what}: '${exportName}' takes no arguments, so a batch of it has no count`);
    if (args.length % n !== 0) throw new WasmThreadError(`WasmThreadPool.${what}: ${args.length} arguments are not whole calls of '${exportName}' (${n} each)`);
    if (this.closed) throw new WasmThreadError(`WasmThreadPool.${what}: the pool was disposed`);
    if (this.broken !== null) throw new WasmThreadError(`WasmThreadPool.${what}: ${this.broken}; dispose this pool`);
    if (this.pending !== null) throw new WasmThreadError(`WasmThreadPool.${what}: a posted batch of '${this.pending.name}' has not been joined`);
    return { f, n };
  }

  /** Sets up calls [first, first + count) of args as the current batch and wakes up to `wake` workers. */
  private publish(name: string, f: number, n: number, args: ArrayLike<number>, first: number, count: number, wake: number): void {
    const L = LAYOUT;
    const ctl = this.ctl;
    // Close the batch word, set the batch up, open it (see claimCalls for why in this order).
    this.gen = (this.gen + 1) & 0xfffff;
    Atomics.store(ctl, L.WORK, (this.gen << 12) | L.CLOSED);
    for (let i = 0, s = first * n, end = count * n; i < end; i++, s++) this.argBuf[i] = args[s]!;
    Atomics.store(ctl, L.FN, f);
    Atomics.store(ctl, L.ARITY, n);
    Atomics.store(ctl, L.COUNT, count);
    Atomics.store(ctl, L.FINISHED, 0);
    for (const { slot } of this.workers) ctl[(slot + 1) * L.STRIDE + L.STATUS] = 0;
    // The calls in contiguous ranges, one per thread taking part (this one and the workers woken):
    // thread t runs range t first, then helps with the others. Drivers list calls in the order of
    // the data they touch (tile rows, column strips), so the same part of the data stays with the
    // same thread from one batch to the next (a product reads the panels that thread packed, an
    // output transform the rows that thread's products wrote) instead of moving between the cores'
    // caches: on a 2-core VM, Winograd's input transform ran no faster on 2 threads than on 1 when
    // calls went to whichever thread came first.
    const threads = Math.max(1, Math.min(this.threads, count, wake + 1));
    for (let t = 0; t < threads; t++) {
      const q = this.queues + t * L.STRIDE;
      Atomics.store(ctl, q + L.QEND, Math.floor(((t + 1) * count) / threads));
      Atomics.store(ctl, q + L.QNEXT, (this.gen << 12) | Math.floor((t * count) / threads));
    }
    Atomics.store(ctl, L.THREADS, threads);
    Atomics.store(ctl, L.WORK, this.gen << 12);
    this.pending = { name, n, first, count };
    // Workers poll for the next batch without sleeping until this thread's current task (a whole
    // synchronous run of a model) has ended: the batches of a run are separated by copies and JS
    // ops that may take longer than spinMicros, and waking a sleeping worker costs the caller a
    // futex wake, measured at 0.2-0.3 ms on a 2-core VM (20 of them were 5 ms of a 50 ms
    // resnet18@224 run). onnxruntime's thread pool spins through a run the same way.
    if (!this.held) {
      this.held = true;
      Atomics.store(ctl, L.HOLD, 1);
      queueMicrotask(this.unhold);
    }
    for (let w = 0; w < this.workers.length && w < wake; w++) {
      const base = (this.workers[w]!.slot + 1) * L.STRIDE;
      Atomics.store(ctl, base + L.SEQ, ++this.seqs[w]!);
      if (Atomics.load(ctl, base + L.WORKER_SLEEPING) !== 0) Atomics.notify(ctl, base + L.SEQ);
    }
  }

  /** Waits until `count` calls have finished; false past `deadline`. */
  private waitFinished(count: number, deadline: number): boolean {
    const L = LAYOUT;
    const ctl = this.ctl;
    if (Atomics.load(ctl, L.FINISHED) === count) return true;
    const until = now() + this.spinMs;
    while (now() < until) if (Atomics.load(ctl, L.FINISHED) === count) return true;
    for (let polls = 0; ; polls++) {
      if (this.canBlock) {
        // A worker notifies after finishing the last call if it sees this flag, which is set
        // before FINISHED is read: one of the two always sees the other's write.
        Atomics.store(ctl, L.CALLER_SLEEPING, 1);
        const v = Atomics.load(ctl, L.FINISHED);
        if (v !== count) Atomics.wait(ctl, L.FINISHED, v, Math.min(WAIT_SLICE_MS, Math.max(0, deadline - now())));
        Atomics.store(ctl, L.CALLER_SLEEPING, 0);
      }
      if (Atomics.load(ctl, L.FINISHED) === count) return true;
      if ((this.canBlock || polls % 1024 === 0) && now() > deadline) return false;
    }
  }

  /** Stops and terminates the workers (idempotent). The instance on this thread stays usable. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    const L = LAYOUT;
    for (let w = 0; w < this.workers.length; w++) {
      const { worker, slot } = this.workers[w]!;
      const base = (slot + 1) * L.STRIDE;
      Atomics.store(this.ctl, base + L.CMD, L.EXIT);
      Atomics.store(this.ctl, base + L.SEQ, ++this.seqs[w]!);
      Atomics.notify(this.ctl, base + L.SEQ);
      worker.terminate();
    }
  }
}

/**
 * Claims and runs calls of the current batch until none is left, from queue `me` first, then from
 * the others; returns the first failure. The same protocol as threads-worker.js. A claim is a
 * compare-and-swap of a queue word from (gen, j) to (gen, j + 1), after reading the queue's end and
 * the batch's export and arity and then finding the batch word open at generation gen: the caller
 * writes those only while the batch word is CLOSED, and tags the queue words with the batch's
 * generation, so a successful swap proves they belonged to this batch (which cannot have ended
 * while call j was unclaimed); a thread that read a newer batch's fields against an older queue
 * word fails its swap, or its check, and reads again.
 */
function claimCalls(ctl: Int32Array, queues: number, me: number, fns: readonly Fn[], args: Float64Array): { call: number; error: unknown } | null {
  const L = LAYOUT;
  let failure: { call: number; error: unknown } | null = null;
  const threads = Atomics.load(ctl, L.THREADS);
  for (let k = 0; k < threads; k++) {
    const q = queues + ((me + k) % threads) * L.STRIDE;
    for (;;) {
      const w = Atomics.load(ctl, q + L.QNEXT);
      const j = w & L.CLOSED;
      const end = Atomics.load(ctl, q + L.QEND);
      const fn = fns[Atomics.load(ctl, L.FN)]!;
      const n = Atomics.load(ctl, L.ARITY);
      if (Atomics.load(ctl, L.WORK) !== (w & ~L.CLOSED)) break; // an older batch's queue word (or a newer batch being set up)
      if (j >= end) break;
      if (Atomics.compareExchange(ctl, q + L.QNEXT, w, w + 1) !== w) continue;
      try {
        call(fn, args, j * n, n);
      } catch (error) {
        failure ??= { call: j, error };
      }
      Atomics.add(ctl, L.FINISHED, 1);
    }
  }
  return failure;
}

/** Starts one worker; resolves to it once it has instantiated the module, or to why it did not. */
function startWorker(url: URL, init: object, timeoutMs: number): Promise<WorkerLike | string> {
  let worker: WorkerLike;
  try {
    worker = workerFactory !== null ? workerFactory(url) : webWorker(url);
  } catch (e) {
    return Promise.resolve(`could not be created: ${describe(e)}`);
  }
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: WorkerLike | string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (typeof r === 'string') worker.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => settle(`did not start within ${timeoutMs} ms`), timeoutMs);
    worker.onMessage((data) => {
      const d = data as { kind?: string; message?: string } | null;
      if (d?.kind === 'ready') settle(worker);
      else if (d?.kind === 'failed') settle(`could not instantiate the module: ${d.message}`);
    });
    worker.onError((message) => settle(message));
    try {
      worker.postMessage(init);
    } catch (e) {
      settle(`the module or memory could not be posted to it: ${describe(e)}`);
    }
  });
}

/** fn(a[o], ..., a[o + n - 1]) without building an array for the common arities. */
function call(fn: Fn, a: ArrayLike<number>, o: number, n: number): unknown {
  switch (n) {
    case 1: return fn(a[o]!);
    case 2: return fn(a[o]!, a[o + 1]!);
    case 3: return fn(a[o]!, a[o + 1]!, a[o + 2]!);
    case 4: return fn(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!);
    case 5: return fn(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!);
    case 6: return fn(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!);
    case 7: return fn(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!, a[o + 6]!);
    case 8: return fn(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!, a[o + 6]!, a[o + 7]!);
    case 9: return fn(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!, a[o + 6]!, a[o + 7]!, a[o + 8]!);
    default: return fn(...Array.from({ length: n }, (_, i) => a[o + i]!));
  }
}

function tuple(a: ArrayLike<number>, o: number, n: number): string {
  return Array.from({ length: n }, (_, i) => a[o + i]).join(', ');
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
