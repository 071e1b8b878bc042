// @ts-check
// The worker side of WasmThreadPool (kernels/wasm/threads.ts). Plain JavaScript, so that every
// runtime loads it as it is, from the sources (under vitest, Deno --sloppy-imports, Bun) and from
// dist/ (tsc copies it: allowJs), without a loader, eval or a Blob URL.
//
// The pool posts one message: the WebAssembly.Modules (each with its memory import's name and its
// exports in the pool's order), the shared WebAssembly.Memory, the control block and the argument
// buffer (SharedArrayBuffers), this worker's slot and the control block's layout. The worker
// instantiates every module over that memory, answers 'ready',
// and from then on never returns to its event loop: it waits for its slot's sequence number to
// change (polling for `spinMs`, then Atomics.wait in slices of `sliceMs`, so that terminate() is
// never stuck behind an endless wait), then claims and runs calls of the current batch, from its
// own queue first and then from the others, until none is left (claimCalls in threads.ts: the
// same protocol). An exception in a call is caught and the
// first one's call and text written to the slot: the caller throws it as a WasmThreadError naming
// this worker.

/**
 * The channel to the thread that started this worker: Node's worker_threads parent port (found
 * through process.getBuiltinModule, Node >= 20.16, so that this file has no import a browser
 * bundler would trip over), else the web worker scope (Deno, Bun, browsers).
 * @type {{ postMessage(message: unknown): void, close?(): void, on?(type: 'message', f: (data: any) => void): void, addEventListener?(type: 'message', f: (e: MessageEvent) => void): void }}
 */
const port = /** @type {any} */ (globalThis).process?.getBuiltinModule?.('node:worker_threads')?.parentPort ?? /** @type {any} */ (globalThis).self;

/**
 * @typedef {{ WORK: number, FINISHED: number, COUNT: number, FN: number, ARITY: number, CALLER_SLEEPING: number, HOLD: number,
 *   THREADS: number, SEQ: number, CMD: number, WORKER_SLEEPING: number, STATUS: number, ERR_CALL: number, ERR_LEN: number,
 *   TINDEX: number, QNEXT: number, QEND: number,
 *   STRIDE: number, TEXT_CHARS: number, CLOSED: number, RUN: number, EXIT: number }} Layout
 * @typedef {{ module: WebAssembly.Module, memoryImport: { module: string, name: string }, exportNames: string[] }} Part
 * @typedef {{ kind: 'tessera-wasm-threads', modules: Part[], memory: WebAssembly.Memory, control: SharedArrayBuffer,
 *   args: SharedArrayBuffer, text: SharedArrayBuffer, slot: number, layout: Layout, spinMs: number, sliceMs: number,
 *   queues: number }} Init
 * @typedef {(...args: number[]) => unknown} Fn
 */

let started = false;
/** @param {unknown} data */
function onMessage(data) {
  const init = /** @type {Init} */ (data);
  if (started || init === null || typeof init !== 'object' || init.kind !== 'tessera-wasm-threads') return;
  started = true;
  /** @type {Fn[]} */
  let fns;
  try {
    fns = [];
    for (const part of init.modules) {
      const instance = new WebAssembly.Instance(part.module, { [part.memoryImport.module]: { [part.memoryImport.name]: init.memory } });
      for (const name of part.exportNames) fns.push(/** @type {Fn} */ (instance.exports[name]));
    }
  } catch (e) {
    port.postMessage({ kind: 'failed', message: describe(e) });
    return;
  }
  // The sequence number is read before 'ready' is posted: the pool's first batch may publish its
  // number before this thread runs another line, and must not be taken for the starting point.
  const seen = Atomics.load(new Int32Array(init.control), (init.slot + 1) * init.layout.STRIDE + init.layout.SEQ);
  port.postMessage({ kind: 'ready' });
  serve(init, fns, seen);
  port.close?.();
}

if (typeof port.on === 'function') port.on('message', onMessage);
else port.addEventListener?.('message', (e) => onMessage(e.data));

/**
 * The batch loop; returns when the pool says EXIT.
 * @param {Init} init
 * @param {Fn[]} fns
 * @param {number} seen the sequence number before the first batch
 */
function serve(init, fns, seen) {
  const L = init.layout;
  const ctl = new Int32Array(init.control);
  const args = new Float64Array(init.args);
  const text = new Uint16Array(init.text);
  const base = (init.slot + 1) * L.STRIDE;
  const now = () => performance.now();
  for (;;) {
    let seq = Atomics.load(ctl, base + L.SEQ);
    if (seq === seen) {
      // Poll while the pool holds its workers awake (the caller is inside a run), then spinMs more.
      let until = now() + init.spinMs;
      while ((seq = Atomics.load(ctl, base + L.SEQ)) === seen) {
        const t = now();
        if (Atomics.load(ctl, L.HOLD) !== 0) until = t + init.spinMs;
        else if (t >= until) break;
      }
      while (seq === seen) {
        // The pool notifies only when this flag is set (it reads it after publishing SEQ; with
        // sequentially consistent atomics, a wait that misses the notify sees SEQ changed).
        Atomics.store(ctl, base + L.WORKER_SLEEPING, 1);
        Atomics.wait(ctl, base + L.SEQ, seen, init.sliceMs);
        Atomics.store(ctl, base + L.WORKER_SLEEPING, 0);
        seq = Atomics.load(ctl, base + L.SEQ);
      }
    }
    seen = seq;
    if (Atomics.load(ctl, base + L.CMD) === L.EXIT) return;
    // Claim (gen, j) -> (gen, j + 1) from this thread's queue first, then the others', after
    // reading the queue's end and the batch's fields: see claimCalls in threads.ts.
    const me = Atomics.load(ctl, base + L.TINDEX);
    const threads = Atomics.load(ctl, L.THREADS);
    for (let k = 0; k < threads; k++) {
      const q = init.queues + ((me + k) % threads) * L.STRIDE;
      for (;;) {
        const w = Atomics.load(ctl, q + L.QNEXT);
        const j = w & L.CLOSED;
        const end = Atomics.load(ctl, q + L.QEND);
        const count = Atomics.load(ctl, L.COUNT);
        const fn = fns[Atomics.load(ctl, L.FN)];
        const n = Atomics.load(ctl, L.ARITY);
        if (Atomics.load(ctl, L.WORK) !== (w & ~L.CLOSED)) break;
        if (j >= end) break;
        if (Atomics.compareExchange(ctl, q + L.QNEXT, w, w + 1) !== w) continue;
        try {
          if (fn === undefined) throw new Error(`no function #${Atomics.load(ctl, L.FN)}`);
          call(fn, args, j * n, n);
        } catch (e) {
          if (ctl[base + L.STATUS] === 0) {
            const message = describe(e).slice(0, L.TEXT_CHARS);
            const t0 = init.slot * L.TEXT_CHARS;
            for (let c = 0; c < message.length; c++) text[t0 + c] = message.charCodeAt(c);
            ctl[base + L.ERR_LEN] = message.length;
            ctl[base + L.ERR_CALL] = j;
            ctl[base + L.STATUS] = 1;
          }
        }
        // The caller sleeps on FINISHED only with CALLER_SLEEPING set, and reads FINISHED after setting it.
        if (Atomics.add(ctl, L.FINISHED, 1) + 1 === count && Atomics.load(ctl, L.CALLER_SLEEPING) !== 0) Atomics.notify(ctl, L.FINISHED);
      }
    }
  }
}

/**
 * fn(a[o], ..., a[o + n - 1]) without building an array for the common arities.
 * @param {Fn} fn
 * @param {Float64Array} a
 * @param {number} o
 * @param {number} n
 */
function call(fn, a, o, n) {
  switch (n) {
    case 1: return fn(a[o]);
    case 2: return fn(a[o], a[o + 1]);
    case 3: return fn(a[o], a[o + 1], a[o + 2]);
    case 4: return fn(a[o], a[o + 1], a[o + 2], a[o + 3]);
    case 5: return fn(a[o], a[o + 1], a[o + 2], a[o + 3], a[o + 4]);
    case 6: return fn(a[o], a[o + 1], a[o + 2], a[o + 3], a[o + 4], a[o + 5]);
    case 7: return fn(a[o], a[o + 1], a[o + 2], a[o + 3], a[o + 4], a[o + 5], a[o + 6]);
    case 8: return fn(a[o], a[o + 1], a[o + 2], a[o + 3], a[o + 4], a[o + 5], a[o + 6], a[o + 7]);
    case 9: return fn(a[o], a[o + 1], a[o + 2], a[o + 3], a[o + 4], a[o + 5], a[o + 6], a[o + 7], a[o + 8]);
    default: return fn(...a.subarray(o, o + n));
  }
}

/** @param {unknown} e */
function describe(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
