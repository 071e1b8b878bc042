// A pool of worker threads that run WebAssembly kernel calls in parallel over one shared
// WebAssembly.Memory (KernelMemory.shared), with the calling thread taking a share of every batch.
//
// Each worker instantiates the same WebAssembly.Module over the same memory (both can be posted
// to a worker) and then waits on its slot of a control block (a SharedArrayBuffer of Int32s, one
// 64-byte slot per worker so that slots do not share a cache line). `run(name, args)` executes a
// batch of calls to one export: args is a flat list of argument tuples; the calls are split into
// `threads` contiguous ranges of equal count (static, so which thread runs which call depends only
// on the batch); range 0 runs on the calling thread, the others on the workers, whose tuples go
// through a shared Float64Array. Per worker: write the range, publish a new sequence number with
// Atomics.store, notify only if the worker is asleep; the worker publishes the number back as done.
// Waiting threads poll briefly (`spinMicros`) before Atomics.wait, because a futex wake costs tens
// of microseconds and batches come back to back during a GEMM. A browser's main thread may not
// Atomics.wait: there the caller only polls.
//
// Results do not depend on the thread count as long as each call computes its outputs alone
// (the GEMM's `block` over disjoint row or column ranges of C): that is the caller's contract.
//
// Platform: web-standard APIs only. Deno, Bun and browsers have a global module `Worker`; Node's
// entry (src/node.ts) registers a node:worker_threads factory with setWorkerFactory, whose workers
// are unref'd once started so that a pool never keeps a process alive. The worker script is
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
  /** How long a waiting thread polls before it sleeps in Atomics.wait (default 500 µs). */
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

/** The control block's slot: Int32 indices, one slot per worker. */
const LAYOUT = Object.freeze({
  SEQ: 0, DONE: 1, CMD: 2, FN: 3, ARITY: 4, START: 5, END: 6, STATUS: 7, ERR_CALL: 8,
  WORKER_SLEEPING: 9, CALLER_SLEEPING: 10, ERR_LEN: 11,
  /** 16 Int32s: 64 bytes, a cache line. */
  STRIDE: 16,
  /** Characters of error text per worker. */
  TEXT_CHARS: 1024,
  RUN: 1, EXIT: 2,
});
/** Capacity of the shared argument buffer in float64s (128 KiB); larger batches run in chunks. */
const ARG_FLOATS = 16384;
/** Longest single Atomics.wait, so that terminate() and slow wakes are never stuck behind one. */
const WAIT_SLICE_MS = 100;
const MAX_THREADS = 64;

type Fn = (...args: number[]) => unknown;

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
  /** The module instantiated on the calling thread over the same memory. */
  readonly instance: WebAssembly.Instance;
  private readonly ctl: Int32Array;
  private readonly argBuf: Float64Array;
  private readonly text: Uint16Array;
  private readonly fns: Fn[];
  private readonly fnIndex: Map<string, number>;
  private readonly seqs: number[];
  private readonly spinMs: number;
  private readonly timeoutMs: number;
  private readonly canBlock = callerCanBlock();
  private running = false;
  private closed = false;
  private broken: string | null = null;

  private constructor(
    instance: WebAssembly.Instance, exportNames: readonly string[], private readonly workers: readonly Started[],
    control: SharedArrayBuffer, args: SharedArrayBuffer, text: SharedArrayBuffer, spinMs: number, timeoutMs: number,
  ) {
    this.instance = instance;
    this.threads = workers.length + 1;
    this.ctl = new Int32Array(control);
    this.argBuf = new Float64Array(args);
    this.text = new Uint16Array(text);
    this.fns = exportNames.map((n) => instance.exports[n] as Fn);
    this.fnIndex = new Map(exportNames.map((n, i) => [n, i]));
    this.seqs = workers.map(() => 0);
    this.spinMs = spinMs;
    this.timeoutMs = timeoutMs;
    workers.forEach(({ worker }, i) => worker.onError((message) => {
      if (!this.closed) this.broken ??= `worker ${i + 1} stopped: ${message}`;
    }));
  }

  /**
   * A pool of `threads` threads in all (the caller and threads - 1 workers) running `module`, whose
   * only import must be a memory, over the shared `memory`. Resolves to null where a pool cannot
   * help: threads <= 1, no SharedArrayBuffer / Atomics / Worker, or no worker started (then run
   * the module on this thread). Workers that fail to start are dropped (options.onFallback says why).
   */
  static async create(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, options: WasmThreadPoolOptions = {}): Promise<WasmThreadPool | null> {
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
    const imports = WebAssembly.Module.imports(module);
    const memoryImport = imports[0];
    if (imports.length !== 1 || memoryImport?.kind !== 'memory') {
      throw new WasmThreadError(`WasmThreadPool.create: the module imports ${imports.map((i) => `${i.module}.${i.name} (${i.kind})`).join(', ') || 'nothing'}; a pool provides exactly one memory`);
    }
    const importObject = { [memoryImport.module]: { [memoryImport.name]: memory } };
    const instance = new WebAssembly.Instance(module, importObject);
    const exportNames = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);

    const control = new SharedArrayBuffer(want * LAYOUT.STRIDE * 4);
    const args = new SharedArrayBuffer(ARG_FLOATS * 8);
    const text = new SharedArrayBuffer(want * LAYOUT.TEXT_CHARS * 2);
    const url = options.workerUrl ?? new URL('./threads-worker.js', import.meta.url);
    const spinMs = (options.spinMicros ?? 500) / 1000;
    const init = (slot: number) => ({
      kind: 'tessera-wasm-threads', module, memory, memoryImport: { module: memoryImport.module, name: memoryImport.name },
      exportNames, control, args, text, slot, layout: LAYOUT, spinMs, sliceMs: WAIT_SLICE_MS,
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
    return new WasmThreadPool(instance, exportNames, started, control, args, text, spinMs, options.batchTimeoutMs ?? Infinity);
  }

  /** True once dispose() ran. */
  get disposed(): boolean {
    return this.closed;
  }

  /**
   * Runs the calls `exportName(args[i * a], ..., args[i * a + a - 1])` for every tuple i (a = the
   * export's parameter count) across the pool and returns when all have finished. Numbers are
   * passed as float64 and converted by WebAssembly as a direct call would (i32: ToInt32, f32:
   * rounded). Calls [0, count / threads) run on this thread. Throws a WasmThreadError naming the
   * thread and call when a call throws (after every thread has stopped; the other calls' results
   * are then unspecified).
   */
  run(exportName: string, args: ArrayLike<number>): void {
    const f = this.fnIndex.get(exportName);
    if (f === undefined) throw new WasmThreadError(`WasmThreadPool.run: the module exports no function '${exportName}'`);
    const fn = this.fns[f]!;
    const n = fn.length;
    if (n === 0) throw new WasmThreadError(`WasmThreadPool.run: '${exportName}' takes no arguments, so a batch of it has no count`);
    if (args.length % n !== 0) throw new WasmThreadError(`WasmThreadPool.run: ${args.length} arguments are not whole calls of '${exportName}' (${n} each)`);
    if (this.closed) throw new WasmThreadError('WasmThreadPool.run: the pool was disposed');
    if (this.broken !== null) throw new WasmThreadError(`WasmThreadPool.run: ${this.broken}; dispose this pool`);
    if (this.running) throw new WasmThreadError('WasmThreadPool.run: called again while a batch runs');
    this.running = true;
    try {
      const count = args.length / n;
      const chunk = Math.floor(ARG_FLOATS / n);
      for (let first = 0; first < count; first += chunk) this.batch(exportName, f, fn, n, args, first, Math.min(chunk, count - first));
    } finally {
      this.running = false;
    }
  }

  private batch(name: string, f: number, fn: Fn, n: number, args: ArrayLike<number>, first: number, count: number): void {
    const L = LAYOUT;
    const ctl = this.ctl;
    const parts = Math.min(this.threads, count);
    const own = Math.floor(count / parts);
    for (let i = own * n, s = (first + own) * n, end = count * n; i < end; i++, s++) this.argBuf[i] = args[s]!;
    for (let p = 1; p < parts; p++) {
      const base = this.workers[p - 1]!.slot * L.STRIDE;
      ctl[base + L.CMD] = L.RUN;
      ctl[base + L.FN] = f;
      ctl[base + L.ARITY] = n;
      ctl[base + L.START] = Math.floor((p * count) / parts);
      ctl[base + L.END] = Math.floor(((p + 1) * count) / parts);
      Atomics.store(ctl, base + L.SEQ, ++this.seqs[p - 1]!);
      if (Atomics.load(ctl, base + L.WORKER_SLEEPING) !== 0) Atomics.notify(ctl, base + L.SEQ);
    }
    let ownError: WasmThreadError | null = null;
    let i = 0;
    try {
      for (; i < own; i++) call(fn, args, (first + i) * n, n);
    } catch (e) {
      ownError = new WasmThreadError(`the calling thread (1 of ${this.threads}) failed in call ${first + i} of '${name}' (${tuple(args, (first + i) * n, n)}): ${describe(e)}`, 0, { cause: e });
    }
    const deadline = now() + this.timeoutMs;
    for (let p = 1; p < parts; p++) {
      if (!this.waitDone(this.workers[p - 1]!.slot * L.STRIDE, this.seqs[p - 1]!, deadline)) {
        this.broken = `worker ${p} did not finish its share of a batch of '${name}' within ${this.timeoutMs} ms`;
        throw new WasmThreadError(`WasmThreadPool.run: ${this.broken}; dispose this pool`, p);
      }
    }
    if (ownError !== null) throw ownError;
    for (let p = 1; p < parts; p++) {
      const slot = this.workers[p - 1]!.slot;
      const base = slot * L.STRIDE;
      if (ctl[base + L.STATUS] === 0) continue;
      const c = ctl[base + L.ERR_CALL]!;
      const t0 = slot * L.TEXT_CHARS;
      const message = String.fromCharCode(...this.text.subarray(t0, t0 + ctl[base + L.ERR_LEN]!));
      throw new WasmThreadError(`worker ${p} (of ${this.threads} threads) failed in call ${first + c} of '${name}' (${tuple(this.argBuf, c * n, n)}): ${message}`, p);
    }
  }

  /** Waits until the worker at `base` has published `seq` as done; false past `deadline`. */
  private waitDone(base: number, seq: number, deadline: number): boolean {
    const L = LAYOUT;
    const ctl = this.ctl;
    if (Atomics.load(ctl, base + L.DONE) === seq) return true;
    const until = now() + this.spinMs;
    while (now() < until) if (Atomics.load(ctl, base + L.DONE) === seq) return true;
    for (let polls = 0; ; polls++) {
      const v = Atomics.load(ctl, base + L.DONE);
      if (v === seq) return true;
      if (this.canBlock) {
        Atomics.store(ctl, base + L.CALLER_SLEEPING, 1);
        Atomics.wait(ctl, base + L.DONE, v, Math.min(WAIT_SLICE_MS, Math.max(0, deadline - now())));
        Atomics.store(ctl, base + L.CALLER_SLEEPING, 0);
      }
      if ((this.canBlock || polls % 1024 === 0) && now() > deadline) return Atomics.load(ctl, base + L.DONE) === seq;
    }
  }

  /** Stops and terminates the workers (idempotent). The instance on this thread stays usable. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    const L = LAYOUT;
    for (let w = 0; w < this.workers.length; w++) {
      const { worker, slot } = this.workers[w]!;
      const base = slot * L.STRIDE;
      this.ctl[base + L.CMD] = L.EXIT;
      Atomics.store(this.ctl, base + L.SEQ, ++this.seqs[w]!);
      Atomics.notify(this.ctl, base + L.SEQ);
      worker.terminate();
    }
  }
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
