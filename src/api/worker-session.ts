// A session whose model loads and runs in a worker, so that `await session.run()` leaves this
// thread free: InferenceSession.create(model, { worker: true }). The model is read here (paths,
// URLs and external data too: the worker asks for each range) and parsed, planned and run there
// (src/api/worker-entry.ts). Runs go to the worker one at a time, in call order.
//
// Workers come from a factory: the global Worker (module workers: browsers, Deno, Bun), or one a
// platform entry registers with setWorkerFactory (src/node.ts: worker_threads, as Node 20 has no
// global Worker). Without either (Cloudflare workerd) `worker: true` is a WorkerError.
//
// Stopping a run: the worker runs synchronously, so a message cannot reach it mid-run. With
// SharedArrayBuffer the run's id is written into a shared flag that the worker's RunControl reads
// between nodes; without it (a browser page that is not cross-origin isolated) the worker is
// terminated and a new one loads the model again before the next run.

import { AbortError, InvalidArgumentError, WorkerError } from '../errors.js';
import { type ResourceLimits } from '../limits.js';
import { type RunControlOptions, abortReason, stopSignalOf } from '../run-control.js';
import type { Tensor } from '../tensor.js';
import { type Fetches, parseRunArgs } from './run-args.js';
import type { ModelFile, SessionOptions, ValueMetadata } from './session.js';
import type { BackendName } from '../runtime/backend.js';
import {
  type ExternalSource, type FromWorker, type LoadedSession, type ToWorker, type WireValue, errorFromWire, errorToWire,
  fromWire, toWire,
} from './worker-protocol.js';
import { type WorkerFactory, type WorkerHandle, registeredWorkerFactory } from './worker-factory.js';

export { setWorkerFactory, type WorkerEvents, type WorkerFactory, type WorkerHandle } from './worker-factory.js';

/** `worker: { url }`: where the worker script is, when a bundler moved it away from this module. */
export interface WorkerSessionOptions {
  readonly url?: string | URL;
}

interface WebWorker {
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string; preventDefault?(): void }) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
  ref?(): void;
  unref?(): void;
}
type WebWorkerConstructor = new (url: URL, options: { type: 'module'; name?: string }) => WebWorker;

function webWorkerFactory(Worker: WebWorkerConstructor): WorkerFactory {
  return (entry, events) => {
    const w = new Worker(entry, { type: 'module', name: 'tessera-session' });
    w.onmessage = (e) => events.message(e.data);
    w.onerror = (e) => {
      e.preventDefault?.();
      events.error(new Error(e.message || 'the worker script failed (a browser does not say why: see its console)'));
    };
    w.onmessageerror = () => events.error(new Error('a message from the worker could not be read'));
    return {
      postMessage: (m, t) => w.postMessage(m, t ?? []),
      terminate: () => w.terminate(),
      ...(typeof w.ref === 'function' && typeof w.unref === 'function' ? { ref: () => w.ref!(), unref: () => w.unref!() } : {}),
    };
  };
}

/**
 * The worker factory and script for a session created with `options.worker`; throws a
 * WorkerError when this runtime has no workers, InvalidArgumentError for options a worker cannot take.
 */
export function workerEntryFor(options: SessionOptions): { readonly factory: WorkerFactory; readonly url: URL } {
  const w = options.worker;
  if (w !== true && (w === null || typeof w !== 'object' || (w.url !== undefined && typeof w.url !== 'string' && !(w.url instanceof URL)))) {
    throw new InvalidArgumentError(`InferenceSession.create: options.worker must be true, false or { url }, got ${w === null ? 'null' : typeof w}`);
  }
  if (options.customOps?.length) {
    throw new InvalidArgumentError('InferenceSession.create: customOps cannot be sent to a worker (they are functions); create the session without worker: true');
  }
  const global = (globalThis as { Worker?: unknown }).Worker;
  const factory = registeredWorkerFactory() ?? (typeof global === 'function' ? webWorkerFactory(global as WebWorkerConstructor) : undefined);
  if (!factory) {
    throw new WorkerError(
      'InferenceSession.create: worker: true needs workers, and this runtime has none (no global Worker, and no worker factory ' +
      'was registered: Cloudflare Workers / workerd, or Node through the core entry instead of the Node entry); create the session without worker: true',
    );
  }
  let url: URL;
  try {
    url = w !== true && w.url !== undefined ? new URL(w.url, (globalThis as { location?: { href: string } }).location?.href) : defaultEntry();
  } catch (e) {
    throw new WorkerError(`InferenceSession.create: cannot tell where the worker script is (${(e as Error)?.message ?? String(e)}); pass worker: { url }`, { cause: e });
  }
  return { factory, url };
}

/** worker-entry.js next to this module; from TypeScript sources (vitest, tsx), the built one in dist/. */
function defaultEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/src/api/worker-entry.js', here) : new URL('./worker-entry.js', here);
}

/** Creates the worker session: starts the worker and loads the model in it. */
export async function createWorkerSession(
  entry: { readonly factory: WorkerFactory; readonly url: URL }, bytes: Uint8Array, ownsBytes: boolean, options: SessionOptions,
  limits: ResourceLimits, externalRange?: ModelFile['externalRange'],
): Promise<WorkerSession> {
  const userData = typeof options.externalData === 'function' ? options.externalData : undefined; // create() made an array one
  const external: ExternalSource = userData ? 'whole' : externalRange ? 'range' : 'none';
  const serveExternal = async (location: string, offset?: number, length?: number): Promise<Uint8Array> => {
    if (userData) return userData(location);
    if (externalRange && offset !== undefined && length !== undefined) return externalRange(location, offset, length);
    throw new InvalidArgumentError(`external data '${location}': this session has no source of external data`);
  };
  const shared = typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  const abortFlag = shared ? new SharedArrayBuffer(4) : undefined;
  // Without the shared flag a stopped run ends its worker, and the next one loads the model again:
  // keep the bytes for that. With it, bytes this call read itself are handed over, not copied.
  const load = {
    limits, external, bytes, transfer: ownsBytes && abortFlag !== undefined,
    ...(options.graphOptimizationLevel !== undefined ? { graphOptimizationLevel: options.graphOptimizationLevel } : {}),
    ...(options.enableCpuMemArena !== undefined ? { enableCpuMemArena: options.enableCpuMemArena } : {}),
    ...(options.executionProviders !== undefined ? { executionProviders: options.executionProviders } : {}),
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.strict !== undefined ? { strict: options.strict } : {}),
    ...(abortFlag ? { abortFlag } : {}),
  };
  const start = (): Promise<{ link: WorkerLink; session: LoadedSession }> => WorkerLink.start(entry, load, serveExternal);
  const { link, session } = await start();
  return new WorkerSession(session, limits, link, abortFlag && new Int32Array(abortFlag), start);
}

interface LoadRequest {
  readonly limits: ResourceLimits;
  readonly external: ExternalSource;
  readonly bytes: Uint8Array;
  /** Transfer the bytes' buffer rather than copy it (only for bytes create() read itself). */
  readonly transfer: boolean;
  readonly graphOptimizationLevel?: SessionOptions['graphOptimizationLevel'];
  readonly enableCpuMemArena?: boolean;
  readonly executionProviders?: SessionOptions['executionProviders'];
  readonly intraOpNumThreads?: number;
  readonly strict?: boolean;
  readonly abortFlag?: SharedArrayBuffer;
}

/** One worker: requests and their replies by id, external data served on request, and its death. */
export class WorkerLink {
  private readonly handle: WorkerHandle;
  private readonly waiting = new Map<number, { resolve(msg: FromWorker): void; reject(e: Error): void }>();
  private nextId = 1;
  /** Why the worker is gone (set once: a crash, or kill()). */
  private dead: Error | undefined;
  private ready!: () => void;
  private readonly readyPromise: Promise<void>;

  private constructor(
    entry: { readonly factory: WorkerFactory; readonly url: URL },
    private readonly serveExternal: (location: string, offset?: number, length?: number) => Promise<Uint8Array>,
  ) {
    let fail!: (e: Error) => void;
    this.readyPromise = new Promise<void>((resolve, reject) => { this.ready = resolve; fail = reject; });
    this.readyPromise.catch(() => {});
    this.waiting.set(0, { resolve: () => this.ready(), reject: (e) => fail(e) });
    try {
      this.handle = entry.factory(entry.url, {
        message: (data) => this.onMessage(data as FromWorker),
        error: (e) => this.kill(new WorkerError(
          this.waiting.has(0)
            ? `the session worker could not be started from ${entry.url.href}: ${e.message}`
            : `the session worker crashed: ${e.message}`,
          { cause: e },
        )),
      });
    } catch (e) {
      throw new WorkerError(`the session worker could not be started from ${entry.url.href}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
  }

  /** Starts a worker and loads the model in it. */
  static async start(
    entry: { readonly factory: WorkerFactory; readonly url: URL }, load: LoadRequest,
    serveExternal: (location: string, offset?: number, length?: number) => Promise<Uint8Array>,
  ): Promise<{ link: WorkerLink; session: LoadedSession }> {
    const link = new WorkerLink(entry, serveExternal);
    try {
      link.handle.ref?.();
      await link.readyPromise;
      const { bytes, transfer, ...rest } = load;
      // A copy, unless the bytes are ours to give: the caller may use them again.
      const sent = transfer ? bytes : bytes.slice();
      const reply = await link.request((id) => ({ type: 'load', id, bytes: sent, ...rest }), [sent.buffer as ArrayBuffer]);
      if (reply.type !== 'loaded') throw new WorkerError(`the session worker answered '${reply.type}' to 'load'`);
      return { link, session: reply.session };
    } catch (e) {
      link.kill(e as Error);
      throw e;
    }
  }

  /** Sends a request and waits for its reply ('failed' replies reject with the error they carry). */
  request(make: (id: number) => ToWorker, transfer: Transferable[] = []): Promise<FromWorker> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const msg = make(id);
    return new Promise<FromWorker>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.handle.ref?.();
      try {
        this.handle.postMessage(msg, transfer);
      } catch (e) {
        this.waiting.delete(id);
        this.idle();
        reject(new WorkerError(`could not send '${msg.type}' to the session worker: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
      }
    });
  }

  /** Terminates the worker; every request still waiting rejects with `reason`. */
  kill(reason: Error): void {
    if (this.dead) return;
    this.dead = reason;
    try {
      this.handle.terminate();
    } catch {
      // Already gone.
    }
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(reason);
  }

  get deadReason(): Error | undefined {
    return this.dead;
  }

  /** With nothing waiting, the worker need not keep the process alive (Node, Bun). */
  private idle(): void {
    if (this.waiting.size === 0 && !this.dead) this.handle.unref?.();
  }

  private onMessage(msg: FromWorker): void {
    if (this.dead) return;
    if (msg.type === 'ready') {
      this.waiting.get(0)?.resolve(msg);
      this.waiting.delete(0);
      return;
    }
    if (msg.type === 'external') {
      this.serveExternal(msg.location, msg.offset, msg.length).then(
        (bytes) => this.post({ type: 'external-reply', id: msg.id, bytes }),
        (e: unknown) => this.post({ type: 'external-reply', id: msg.id, error: errorToWire(e) }),
      );
      return;
    }
    const waiting = this.waiting.get(msg.id);
    if (!waiting) return;
    this.waiting.delete(msg.id);
    this.idle();
    if (msg.type === 'failed') waiting.reject(errorFromWire(msg.error));
    else waiting.resolve(msg);
  }

  private post(msg: ToWorker): void {
    if (this.dead) return;
    try {
      this.handle.postMessage(msg);
    } catch (e) {
      this.kill(new WorkerError(`could not send '${msg.type}' to the session worker: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
    }
  }
}

interface Job {
  readonly feeds: Record<string, WireValue>;
  readonly fetches?: readonly string[];
  readonly timeoutMs?: number;
  readonly stop?: { readonly aborted: boolean; readonly reason?: unknown };
  readonly resolve: (outputs: Record<string, Tensor>) => void;
  readonly reject: (e: Error) => void;
  /** The id the worker knows the run by, once sent. */
  id?: number;
  done: boolean;
  /** Stops watching the job's signal and terminate flag. */
  unwatch(): void;
}

/**
 * An InferenceSession whose loading and runs happen in a worker: the same inputNames,
 * outputNames, metadata, run() and release(). Outputs arrive as new tensors; feeds are copied.
 */
export class WorkerSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** Which kind of model this session runs. */
  readonly format: 'onnx' | 'torchscript';
  /** Which kernels the worker's session runs on ('wasm' or 'cpu'; see SessionOptions.executionProviders). */
  readonly backend: BackendName;
  /** Threads the worker's session runs its kernels on (see SessionOptions.intraOpNumThreads). */
  readonly threads: number;
  /** The limits every run is held to (enforced in the worker). */
  readonly limits: ResourceLimits;
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  /** Why the session is unusable: its worker crashed, or it was released. */
  private broken: Error | undefined;

  /** @internal Made by InferenceSession.create(model, { worker: true }). */
  constructor(
    loaded: LoadedSession, limits: ResourceLimits, private link: WorkerLink | undefined,
    private readonly abortFlag: Int32Array | undefined,
    private readonly restart: () => Promise<{ link: WorkerLink; session: LoadedSession }>,
  ) {
    this.inputNames = loaded.inputNames;
    this.outputNames = loaded.outputNames;
    this.inputMetadata = loaded.inputMetadata;
    this.outputMetadata = loaded.outputMetadata;
    this.format = loaded.format;
    this.backend = loaded.backend;
    this.threads = loaded.threads;
    this.limits = limits;
  }

  /** Always true: this session runs in a worker. */
  get worker(): true {
    return true;
  }

  /**
   * Runs the model in the worker; this thread stays free meanwhile. Like InferenceSession.run:
   * `run(feeds, options?)` or `run(feeds, fetches, options?)`. `options.signal` and
   * `options.terminate` stop the run between nodes with an AbortError; the session stays usable.
   */
  run(feeds: Record<string, Tensor | null>, options?: RunControlOptions): Promise<Record<string, Tensor>>;
  run(feeds: Record<string, Tensor | null>, fetches?: Fetches, options?: RunControlOptions): Promise<Record<string, Tensor>>;
  async run(
    feeds: Record<string, Tensor | null>, b?: Fetches | RunControlOptions, c?: RunControlOptions,
  ): Promise<Record<string, Tensor>> {
    if (this.broken) throw this.unusable('run');
    const { fetches, options } = parseRunArgs('run', this.outputNames, feeds, b, c);
    const stop = stopSignalOf(options);
    if (stop?.aborted) throw new AbortError(`run: the run was cancelled before it started${abortReason(stop)}`);
    const wire: Record<string, WireValue> = {};
    // Copies: the caller keeps its tensors. An undefined feed is a missing one, as in-thread.
    for (const [name, v] of Object.entries(feeds)) if (v !== undefined) wire[name] = toWire(v);
    return new Promise<Record<string, Tensor>>((resolve, reject) => {
      const job: Job = {
        feeds: wire, fetches, timeoutMs: options?.timeoutMs, stop, resolve, reject, done: false, unwatch: () => {},
      };
      if (stop) job.unwatch = this.watch(job, options!);
      this.queue.push(job);
      void this.pump();
    });
  }

  /** Terminates the worker. Runs not finished reject, and later runs are refused (InvalidArgumentError). */
  async release(): Promise<void> {
    if (this.broken) return;
    this.broken = new InvalidArgumentError('the session was released');
    this.link?.kill(this.broken);
    this.link = undefined;
    for (const job of this.queue.splice(0)) this.finish(job, this.broken);
  }

  private unusable(fn: string): Error {
    const why = this.broken!;
    if (why instanceof WorkerError) return new WorkerError(`${fn}: this session's worker failed earlier (${why.message}); create a new session`, { cause: why });
    return new InvalidArgumentError(`${fn}: this session was released`);
  }

  /** Calls stop() when the job's signal fires or its options.terminate turns true. */
  private watch(job: Job, options: RunControlOptions): () => void {
    const stop = () => this.stop(job);
    const signal = options.signal;
    const listens = typeof signal?.addEventListener === 'function';
    if (listens) signal!.addEventListener('abort', stop, { once: true });
    // terminate is a plain property (and a signal-like object may not send events): look at them
    // while the run waits or runs.
    const timer = 'terminate' in options || (signal && !listens)
      ? setInterval(() => { if (job.stop!.aborted) stop(); }, 10)
      : undefined;
    return () => {
      if (listens) signal!.removeEventListener('abort', stop);
      if (timer !== undefined) clearInterval(timer);
    };
  }

  private stop(job: Job): void {
    if (job.done) return;
    const reason = abortReason(job.stop!);
    if (job.id === undefined) {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
      this.finish(job, new AbortError(`run: the run was cancelled before it started${reason}`));
      return;
    }
    if (this.abortFlag) {
      Atomics.store(this.abortFlag, 0, job.id);
      return;
    }
    // No shared memory: end the worker; the next run starts another.
    this.link?.kill(new AbortError('run: the run was cancelled (its worker was stopped)'));
    this.link = undefined;
  }

  private finish(job: Job, result: Error | Record<string, Tensor>): void {
    if (job.done) return;
    job.done = true;
    job.unwatch();
    if (result instanceof Error) job.reject(result);
    else job.resolve(result);
  }

  /** Sends queued runs to the worker one at a time, starting a new worker when the last one was stopped. */
  private async pump(): Promise<void> {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    try {
      if (!this.link) {
        const { link } = await this.restart().catch((e: unknown) => {
          throw e instanceof WorkerError ? e
            : new WorkerError(`the session worker could not load the model again after a stopped run: ${(e as Error)?.message ?? String(e)}`, { cause: e });
        });
        if (this.broken) link.kill(this.broken);
        else this.link = link;
      }
      if (this.broken) throw this.unusable('run');
      if (job.done) return;
      const reply = await this.link!.request((id) => {
        job.id = id;
        return { type: 'run', id, feeds: job.feeds, fetches: job.fetches, timeoutMs: job.timeoutMs };
      });
      if (reply.type !== 'result') throw new WorkerError(`the session worker answered '${reply.type}' to 'run'`);
      const out: Record<string, Tensor> = {};
      for (const [name, w] of Object.entries(reply.outputs)) out[name] = fromWire(w) as Tensor;
      this.finish(job, out);
    } catch (e) {
      let err = e as Error;
      if (err instanceof AbortError && job.stop?.aborted) err = new AbortError(`${err.message}${abortReason(job.stop)}`);
      if (err instanceof WorkerError && !this.broken) {
        // The worker crashed or could not start again: nothing can run any more.
        this.broken = err;
        this.link?.kill(err);
        this.link = undefined;
        for (const queued of this.queue.splice(0)) this.finish(queued, this.unusable('run'));
      }
      this.finish(job, err);
    } finally {
      this.running = undefined;
      void this.pump();
    }
  }
}
