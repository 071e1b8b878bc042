// The public session API, shaped like onnxruntime-web's InferenceSession.

import type { OpDef } from '../../ops/op-def.js';
import { concatBytes } from '../bytes.js';
import { InvalidArgumentError, ModelFormatError, ShapeError } from '../errors.js';
import { type ResourceLimits, checkLimit, resolveLimits } from '../limits.js';
import { RunControl, type RunControlOptions, stopSignalOf } from '../run-control.js';
import { type Fetches, parseRunArgs } from './run-args.js';
// Types only: the worker client loads when a session asks for worker: true.
import type { WorkerSession, WorkerSessionOptions } from './worker-session.js';
import type { Graph, Model, ValueInfo, ValueType } from '../ir/graph.js';
import { subgraphsOf } from '../ir/validate.js';
import { loadOnnxModel } from '../formats/onnx/load.js';
import { Tensor } from '../tensor.js';
import type { Value } from '../value.js';
import { StorageArena, type TensorStorageSource } from '../runtime/arena.js';
import {
  type Backend, type BackendName, type ExecutionProviderConfig, namesWebgl, prepareBackends, resolveBackend, resolveBackendThreaded,
} from '../runtime/backend.js';
import { withGemmEngine } from '../../ops/engine.js';
import { executeRun, tensorBytes } from '../runtime/execute.js';
import { type GraphPlan, type PlanOptions, planModel } from '../runtime/plan.js';
import { type ProfileReport, Profiler } from '../runtime/profile.js';
import { type OpRegistry, modelOpKeys } from '../runtime/registry.js';
import { defaultOpRegistry, registryWith } from '../runtime/default-registry.js';
export { defaultOpRegistry, loadAllOps, registerOp } from '../runtime/default-registry.js';
// Types only: the TorchScript interpreter (and the aten ops it calls) loads when a TorchScript file
// is opened, so that an ONNX-only bundle leaves it out (test/unit/bundle-budgets.test.ts).
import type { TorchScriptModule, TorchScriptSession } from '../runtime/torchscript/index.js';

/** A zip (PK\x03\x04: TorchScript archives, torch.save) or a pickle (PROTO 0-5): worth asking the PyTorch sniffers. */
function mayBeTorchFile(bytes: Uint8Array): boolean {
  return (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    || (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5);
}

/** onnxruntime-web's form of an external data file: its location as the model names it, and its bytes. */
export interface ExternalDataFile {
  readonly path: string;
  readonly data: Uint8Array | ArrayBuffer;
}

/** options.externalData as the function the loaders take: onnxruntime-web's `{ path, data }[]` looked up by location. */
function externalDataReader(x: SessionOptions['externalData']): ((location: string) => Uint8Array | Promise<Uint8Array>) | undefined {
  if (x === undefined || typeof x === 'function') return x;
  if (!Array.isArray(x)) {
    throw new InvalidArgumentError('InferenceSession.create: options.externalData must be a function (location) => bytes or an array of { path, data }');
  }
  const files = new Map<string, Uint8Array>();
  x.forEach((f: unknown, i) => {
    const e = f as Partial<ExternalDataFile> | null;
    if (e === null || typeof e !== 'object' || typeof e.path !== 'string' || !(e.data instanceof Uint8Array || e.data instanceof ArrayBuffer)) {
      throw new InvalidArgumentError(`InferenceSession.create: options.externalData[${i}] must be { path: string, data: Uint8Array | ArrayBuffer }`);
    }
    files.set(e.path.replace(/^\.\//, ''), e.data instanceof Uint8Array ? e.data : new Uint8Array(e.data));
  });
  return (location) => {
    const bytes = files.get(location.replace(/^\.\//, ''));
    if (bytes === undefined) {
      throw new ModelFormatError(`external data '${location}' is not among options.externalData (given: ${[...files.keys()].join(', ') || 'none'})`);
    }
    return bytes;
  };
}

export interface SessionOptions {
  /**
   * Whole bytes of external data files, by location relative to the model (each tensor's offset
   * and length are checked against them). Paths given to create() read only each tensor's range.
   */
  readonly externalData?: ((location: string) => Uint8Array | Promise<Uint8Array>) | readonly ExternalDataFile[];
  /** Operators for this session only, resolved before the built-in ones (custom layers). */
  readonly customOps?: readonly OpDef[];
  /** Budgets for loading and for every run (see ResourceLimits); unspecified ones keep their defaults. */
  readonly limits?: Partial<ResourceLimits>;
  /**
   * onnxruntime-web's option: 'disabled' runs the graph exactly as written; any other level (the
   * default 'all') lets the planner fuse activations into Conv/Gemm (src/runtime/fuse.ts).
   */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * onnxruntime's option: keep activations in a per-session arena (src/runtime/arena.ts), reusing
   * a value's storage once its last reader ran and across runs (default true). false allocates
   * every activation afresh.
   */
  readonly enableCpuMemArena?: boolean;
  /**
   * onnxruntime-web's option: the backends to try, in order ('wasm': WebAssembly SIMD kernels;
   * 'cpu': the plain JS kernels). Names onnxruntime knows but tessera does not run are skipped;
   * unknown names are an InvalidArgumentError. Default: 'wasm' where the host can compile it, else 'cpu'.
   * `session.backend` tells which one was taken.
   */
  readonly executionProviders?: readonly ExecutionProviderConfig[];
  /**
   * onnxruntime's option: threads the wasm backend's kernels run on (worker threads over shared
   * memory; results are bit-identical for any count). 0 or absent: the number of cores, at most 4.
   * Where SharedArrayBuffer, Atomics or workers are missing (a browser page that is not
   * cross-origin isolated, workerd), one thread. `session.threads` tells how many it got.
   */
  readonly intraOpNumThreads?: number;
  /**
   * Load and run the model in a worker (src/api/worker-session.ts), so that run() never blocks
   * this thread: create() then returns a WorkerSession. `{ url }` names the worker script when a
   * bundler moved it (default: worker-entry.js next to this module).
   */
  readonly worker?: boolean | WorkerSessionOptions;
  /**
   * Refuse at creation a model that names any operator tessera lacks, listing them all. By
   * default only operators that every run reaches do: one named only by TorchScript code or inside
   * an ONNX If/Loop/Scan subgraph fails with UnsupportedOpError (naming it and its call site or
   * node) when a run reaches it.
   */
  readonly strict?: boolean;
  /**
   * Told how far loading has come, as bytes are read: the model file (from a path, file: or
   * http(s) URL, in chunks) and its external data. Called once at the start (loaded 0, total
   * undefined), as bytes arrive, and at the end (loaded === total). `total` grows as sizes become
   * known (a file's size, a Content-Length, each external data range when the model names it),
   * and is undefined while a download of unknown length is under way.
   */
  readonly onProgress?: (progress: LoadProgress) => void;
}

/** Bytes of the model (and its external data) read so far, and to be read in all when known. */
export interface LoadProgress {
  readonly loaded: number;
  readonly total: number | undefined;
}

/**
 * What a loader tells as it reads: `expect(n)` when it learns that n more bytes are to be read
 * (a file's size, a Content-Length), `read(n)` as n of them arrive.
 */
export interface ByteProgress {
  expect(bytes: number): void;
  read(bytes: number): void;
}

/** Adds up a loader's ByteProgress into onProgress calls (create()'s, and the CLI's for inspect). */
export function progressReporter(onProgress: (p: LoadProgress) => void): ByteProgress & { start(): void; done(): void } {
  let loaded = 0;
  let total = 0;
  const report = () => onProgress({ loaded, total: loaded > total ? undefined : total });
  return {
    start: () => onProgress({ loaded: 0, total: undefined }),
    expect: (n) => { total += n; report(); },
    read: (n) => { loaded += n; report(); },
    done: () => { total = loaded; report(); },
  };
}

/** A user's externalData function that also counts the bytes of each location once. */
function countedExternalData(
  read: (location: string) => Uint8Array | Promise<Uint8Array>, progress: ByteProgress,
): (location: string) => Promise<Uint8Array> {
  const seen = new Set<string>();
  return async (location) => {
    const bytes = await read(location);
    if (!seen.has(location) && bytes instanceof Uint8Array) {
      seen.add(location);
      progress.expect(bytes.length);
      progress.read(bytes.length);
    }
    return bytes;
  };
}

export interface ValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  /** Numbers for fixed dims, strings for symbolic ones, null when unknown. */
  readonly shape?: readonly (number | string | null)[];
}

/** A model read from a path or URL, with a reader for exactly one range of an external data file. */
export interface ModelFile {
  readonly bytes: Uint8Array;
  externalRange(location: string, offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Reads a model file given a path or URL; set by the platform entry (Node) or defaults to fetch.
 * `progress`, when given, hears of the model's bytes and of every external range it reads.
 */
export type FileLoader = (path: string, limits: ResourceLimits, progress?: ByteProgress) => Promise<ModelFile>;

let fileLoader: FileLoader | undefined;

/** Used by the Node entry point to read paths from disk. */
export function setFileLoader(loader: FileLoader): void {
  fileLoader = loader;
}

/** Reads a model (and its external data, beside it) over fetch: the default loader, and the Node entry's for http(s) URLs. */
export async function fetchLoader(url: string, limits: ResourceLimits, progress?: ByteProgress): Promise<ModelFile> {
  const base = new URL('.', new URL(url, (globalThis as { location?: { href: string } }).location?.href));
  const get = async (target: string | URL, what: string, fail: (m: string, cause?: unknown) => Error): Promise<Uint8Array> => {
    let res: Response;
    try {
      res = await fetch(target);
    } catch (e) {
      throw fail(`${what} could not be fetched: ${(e as Error)?.message ?? String(e)}`, e);
    }
    if (!res.ok) throw fail(`${what}: HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared >= 0) checkLimit(limits, 'maxMemoryBytes', declared, what);
    if (!progress || !res.body) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      checkLimit(limits, 'maxMemoryBytes', bytes.length, what);
      return bytes;
    }
    return readBody(res.body, declared >= 0 ? declared : undefined, limits, what, progress);
  };
  const files = new Map<string, Uint8Array>();
  return {
    bytes: await get(url, `model '${url}'`, (m, cause) => new InvalidArgumentError(m, { cause })),
    externalRange: async (loc, offset, length) => {
      let file = files.get(loc);
      if (!file) {
        file = await get(new URL(loc, base), `external data '${loc}'`, (m, cause) => new ModelFormatError(m, { cause }));
        files.set(loc, file);
      }
      if (offset + length > file.length) {
        throw new ModelFormatError(`external data '${loc}': range offset=${offset} length=${length} lies outside '${loc}' (${file.length} bytes)`);
      }
      return file.subarray(offset, offset + length);
    },
  };
}

/** A response body read chunk by chunk, each told to `progress` and the sum held to maxMemoryBytes. */
async function readBody(
  body: ReadableStream<Uint8Array>, declared: number | undefined, limits: ResourceLimits, what: string, progress: ByteProgress,
): Promise<Uint8Array> {
  if (declared !== undefined) progress.expect(declared);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    checkLimit(limits, 'maxMemoryBytes', length, what);
    chunks.push(value);
    progress.read(value.length);
  }
  // A Content-Length that was wrong, or absent: the total becomes what arrived.
  if (length !== (declared ?? 0)) progress.expect(length - (declared ?? 0));
  return concatBytes(chunks);
}

function metadataOf(v: ValueInfo): ValueMetadata {
  const t = v.type;
  if (t.kind === 'tensor') return { name: v.name, isTensor: true, type: t.elemType, shape: t.shape };
  return { name: v.name, isTensor: false };
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** The limits every run is held to. */
  readonly limits: ResourceLimits;

  private constructor(
    private onnx: { readonly model: Model; readonly plan: GraphPlan; readonly weightBytes: number } | null,
    private torchscript: TorchScriptSession | null,
    limits: ResourceLimits,
  ) {
    this.limits = limits;
    this.kind = onnx ? 'onnx' : 'torchscript';
    if (onnx) {
      const { model } = onnx;
      const inits = model.graph.initializers;
      const inputs = model.graph.inputs.filter((i) => !inits.has(i.name));
      this.inputNames = inputs.map((i) => i.name);
      this.outputNames = model.graph.outputs.map((o) => o.name);
      this.inputMetadata = inputs.map(metadataOf);
      this.outputMetadata = model.graph.outputs.map(metadataOf);
    } else {
      const ts = torchscript!;
      this.inputNames = ts.inputNames;
      this.outputNames = ts.outputNames;
      this.inputMetadata = ts.inputMetadata;
      this.outputMetadata = ts.outputMetadata;
    }
  }

  /** The backend chosen at create (see SessionOptions.executionProviders). */
  private chosen: Backend = resolveBackend(undefined, 'InferenceSession');

  /**
   * Sets the backend, once, at create. A wasm engine over a shared memory then also keeps the
   * session's activations in it, so that its kernels work on them in place instead of copying
   * every conv's input in and output out (an engine over a plain memory declines: growing it
   * would detach the arrays).
   */
  private choose(backend: Backend): void {
    this.chosen = backend;
    const e = backend.engine;
    this.arena?.useSource(e.tensorStorage !== undefined && e.offsetOf !== undefined ? e as TensorStorageSource : undefined);
  }

  /**
   * Which kernels this session runs on: 'wasm' (WebAssembly SIMD), 'cpu' (plain JS) or 'webgl'
   * (MatMul, Gemm and Conv on the GPU through gpu.js, every other op on wasm or JS).
   */
  get backend(): BackendName {
    return this.chosen.name;
  }

  /**
   * 'webgl' sessions: GPU kernels run, textures read back to the CPU and arrays uploaded since the
   * session was created, and the nodes that ran on the GPU (by name, else first output).
   * Undefined on the other backends.
   */
  get webgl(): { readonly kernelRuns: number; readonly readbacks: number; readonly uploads: number; readonly gpuNodes: readonly string[] } | undefined {
    const w = this.chosen.webgl;
    return w === undefined ? undefined : { ...w.counts, gpuNodes: w.gpuNodes };
  }

  /** Threads this session's kernels run on (see SessionOptions.intraOpNumThreads). */
  get threads(): number {
    return this.chosen.threads;
  }

  /** Which kind of model this session runs. */
  get format(): 'onnx' | 'torchscript' {
    return this.kind;
  }

  /** The ONNX model's graph IR (undefined for TorchScript sessions). */
  get model(): Model | undefined {
    return this.onnx?.model;
  }

  /** The TorchScript module (undefined for ONNX sessions). */
  get module(): TorchScriptModule | undefined {
    return this.torchscript?.module;
  }

  /**
   * Loads and plans a model from bytes, or from a path/URL. Fails listing every unsupported op.
   * With `worker: true` the model loads and runs in a worker, and the result is a WorkerSession.
   */
  static create(source: Uint8Array | ArrayBuffer | string, options: SessionOptions & { readonly worker: true | WorkerSessionOptions }): Promise<WorkerSession>;
  static create(source: Uint8Array | ArrayBuffer | string | URL, options?: SessionOptions & { readonly worker?: false }): Promise<InferenceSession>;
  static create(source: Uint8Array | ArrayBuffer | string | URL, options?: SessionOptions): Promise<InferenceSession | WorkerSession>;
  static async create(source: Uint8Array | ArrayBuffer | string | URL, options: SessionOptions = {}): Promise<InferenceSession | WorkerSession> {
    // A URL object is read as its string: http(s) by fetch, file: (and paths) by the platform's loader.
    if (source instanceof URL) source = source.href;
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`InferenceSession.create: options must be an object, got ${options === null ? 'null' : typeof options}`);
    }
    // Always a function (or absent) from here on, for this thread's loader and a worker's alike.
    if (options.externalData !== undefined && typeof options.externalData !== 'function') {
      options = { ...options, externalData: externalDataReader(options.externalData) };
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
      throw new InvalidArgumentError(`InferenceSession.create: options.onProgress must be a function ({ loaded, total }) => void, got ${typeof options.onProgress}`);
    }
    const progress = options.onProgress && progressReporter(options.onProgress);
    if (progress && typeof options.externalData === 'function') {
      options = { ...options, externalData: countedExternalData(options.externalData, progress) };
    }
    if (options.customOps !== undefined && !Array.isArray(options.customOps)) {
      throw new InvalidArgumentError('InferenceSession.create: options.customOps must be an array of op definitions');
    }
    const level = options.graphOptimizationLevel;
    if (level !== undefined && level !== 'disabled' && level !== 'basic' && level !== 'extended' && level !== 'all') {
      throw new InvalidArgumentError(`InferenceSession.create: options.graphOptimizationLevel must be 'disabled', 'basic', 'extended' or 'all', got ${JSON.stringify(level)}`);
    }
    if (options.worker !== undefined && options.worker !== false && namesWebgl(options.executionProviders)) {
      throw new InvalidArgumentError(
        "InferenceSession.create: the 'webgl' provider does not run in a worker: true session (gpu.js's class cannot be posted to a worker, nor is WebGL there tested); create the session without worker",
      );
    }
    await prepareBackends(options.executionProviders); // gpu.js, when webgl is asked for without its class
    resolveBackend(options.executionProviders, 'InferenceSession.create'); // refused before the model is read
    const limits = resolveLimits(options.limits);
    // Checked before the model is read: a runtime without workers fails at once.
    const workers = options.worker === undefined || options.worker === false ? undefined : await import('./worker-session.js');
    const workerEntry = workers?.workerEntryFor(options);
    let bytes: Uint8Array;
    let externalRange: ModelFile['externalRange'] | undefined;
    progress?.start();
    if (typeof source === 'string') {
      const loaded = await (fileLoader ?? fetchLoader)(source, limits, progress);
      bytes = loaded.bytes;
      if (!options.externalData) externalRange = loaded.externalRange;
    } else if (source instanceof Uint8Array) {
      bytes = source;
    } else if (source instanceof ArrayBuffer) {
      bytes = new Uint8Array(source);
    } else {
      throw new InvalidArgumentError(
        `InferenceSession.create: expected bytes (Uint8Array/ArrayBuffer) or a path, got ${source === null ? 'null' : typeof source}`,
      );
    }
    if (progress && typeof source !== 'string') {
      progress.expect(bytes.length);
      progress.read(bytes.length);
    }
    const session = workers && workerEntry
      ? await workers.createWorkerSession(workerEntry, bytes, typeof source === 'string', options, limits, externalRange)
      : await InferenceSession.fromBytes(bytes, options, limits, externalRange);
    progress?.done();
    return session;
  }

  /**
   * create() once the model's bytes are read (for the worker entry, whose external data ranges
   * are read by the thread that created the worker). `options` were checked by create().
   */
  static async fromBytes(
    bytes: Uint8Array, options: SessionOptions, limits: ResourceLimits, externalRange?: ModelFile['externalRange'],
  ): Promise<InferenceSession> {
    const level = options.graphOptimizationLevel;
    const backend = await resolveBackendThreaded(options.executionProviders, options.intraOpNumThreads, 'InferenceSession.create');
    // A zip or a pickle is a PyTorch file, never ONNX (whose first byte is a protobuf tag): the
    // readers that tell which kind load only then, and the TorchScript interpreter only for an archive.
    if (mayBeTorchFile(bytes)) {
      const { looksLikeTorchScript } = await import('../formats/torchscript/detect.js');
      if (looksLikeTorchScript(bytes)) {
        const { createTorchScriptSession } = await import('../runtime/torchscript/session.js');
        const session = new InferenceSession(null, createTorchScriptSession(bytes, { limits: options.limits, engine: backend.engine, strict: options.strict === true, ...(level === undefined ? {} : { graphOptimizationLevel: level }) }), limits);
        session.choose(backend);
        return session;
      }
      const { looksLikeTorchFile } = await import('../formats/pickle/container.js');
      if (looksLikeTorchFile(bytes)) {
        throw new ModelFormatError(
          'this is a torch.save pickle (weights or a checkpoint), not a runnable model: read it with torchLoad() / stateDict() from tessera/pickle',
        );
      }
    }
    const externalData = typeof options.externalData === 'function' ? options.externalData : undefined;
    const model = await loadOnnxModel(bytes, { externalData, externalRange, limits });
    if (options.enableCpuMemArena !== undefined && typeof options.enableCpuMemArena !== 'boolean') {
      throw new InvalidArgumentError(`InferenceSession.create: options.enableCpuMemArena must be a boolean, got ${typeof options.enableCpuMemArena}`);
    }
    const registry = registryWith(options.customOps);
    await registry.loadFor(modelOpKeys(model)); // the optional operator families this model names
    const session = InferenceSession.fromModel(model, registry, limits, { graphOptimizationLevel: level, strict: options.strict === true });
    if (options.enableCpuMemArena === false) session.arena = undefined;
    session.choose(backend);
    return session;
  }

  /** Plans an already loaded model; `executionProviders` as in SessionOptions. */
  static fromModel(
    model: Model, registry: OpRegistry = defaultOpRegistry(), limits?: Partial<ResourceLimits>, planOptions?: PlanOptions,
    executionProviders?: readonly ExecutionProviderConfig[],
  ): InferenceSession {
    const backend = resolveBackend(executionProviders, 'InferenceSession.fromModel');
    const resolved = resolveLimits(limits);
    const plan = planModel(model, registry, resolved, planOptions);
    const session = new InferenceSession({ model, plan, weightBytes: weightBytesOf(model.graph) }, null, resolved);
    session.choose(backend);
    return session;
  }

  /**
   * Runs the model. Feeds are checked against the declared input types and shapes. Like
   * onnxruntime-web: `run(feeds, options?)` or `run(feeds, fetches, options?)`; options take an
   * AbortSignal and a timeout (checked between nodes and per loop iteration).
   */
  async run(feeds: Record<string, Tensor | null>, options?: RunControlOptions): Promise<Record<string, Tensor>>;
  async run(feeds: Record<string, Tensor | null>, fetches?: Fetches, options?: RunControlOptions): Promise<Record<string, Tensor>>;
  async run(
    feeds: Record<string, Tensor | null>, b?: Fetches | RunControlOptions, c?: RunControlOptions,
  ): Promise<Record<string, Tensor>> {
    const { fetches, options } = this.runArgs('run', feeds, b, c);
    if (this.torchscript) {
      // The TorchScript session reads only `signal`: terminate reaches it folded into that.
      const stop = options && { ...options, signal: stopSignalOf(options) as AbortSignal | undefined };
      const out = await this.torchscript.run(feeds, stop);
      return fetches ? Object.fromEntries(Object.entries(out).filter(([k]) => fetches.includes(k))) : out;
    }
    return this.runAny(feeds, fetches, options) as Record<string, Tensor>;
  }

  /** Synchronous run, for callers that cannot await; the same arguments as run(). */
  runSync(feeds: Record<string, Tensor>, options?: RunControlOptions): Record<string, Tensor>;
  runSync(feeds: Record<string, Tensor>, fetches?: Fetches, options?: RunControlOptions): Record<string, Tensor>;
  runSync(feeds: Record<string, Tensor>, b?: Fetches | RunControlOptions, c?: RunControlOptions): Record<string, Tensor> {
    const { fetches, options } = this.runArgs('runSync', feeds, b, c);
    if (this.torchscript) throw new InvalidArgumentError('runSync: TorchScript sessions run with run()');
    return this.runAny(feeds, fetches, options) as Record<string, Tensor>;
  }

  /**
   * Runs a model whose inputs or outputs may be sequences (arrays of tensors) or optionals
   * (`null` when empty), as well as tensors.
   */
  async runValues(feeds: Record<string, Value>, fetches?: readonly string[], options?: RunControlOptions): Promise<Record<string, Value>> {
    if (this.torchscript) return this.run(feeds as Record<string, Tensor | null>, fetches, options);
    const args = this.runArgs('runValues', feeds, fetches, options);
    return this.runAny(feeds, args.fetches, args.options);
  }

  /** Checks run()'s arguments and sorts out its two overloads. */
  private runArgs(
    fn: string, feeds: unknown, b: Fetches | RunControlOptions | undefined, c: RunControlOptions | undefined,
  ): { fetches?: readonly string[]; options?: RunControlOptions } {
    if (this.released) throw new InvalidArgumentError(`${fn}: this session was released`);
    return parseRunArgs(fn, this.outputNames, feeds, b, c);
  }

  private released = false;
  private readonly kind: 'onnx' | 'torchscript';

  private runAny(feeds: Record<string, Value>, fetches: readonly string[] | undefined, options?: RunControlOptions): Record<string, Value> {
    const { model } = this.onnx!;
    const values = new Map<string, Value>();
    for (const meta of model.graph.inputs) {
      const v = Object.hasOwn(feeds, meta.name) ? feeds[meta.name] : undefined;
      if (v === undefined) {
        if (model.graph.initializers.has(meta.name)) continue;
        if (meta.type.kind === 'optional') continue;
        throw new InvalidArgumentError(`input '${meta.name}' is missing (the model needs: ${this.inputNames.join(', ')})`);
      }
      checkInput(meta.name, meta.type, v);
      values.set(meta.name, v);
    }
    for (const k of Object.keys(feeds)) {
      if (!model.graph.inputs.some((i) => i.name === k)) {
        throw new InvalidArgumentError(`'${k}' is not an input of this model (inputs: ${this.inputNames.join(', ')})`);
      }
    }
    const outs = this.execute(values, options);
    const result: Record<string, Value> = {};
    this.outputNames.forEach((name, i) => {
      if (!fetches || fetches.includes(name)) result[name] = outs[i]!;
    });
    return result;
  }

  /** Runs with values bound by input name, unchecked; returns every graph output in order. */
  execute(feeds: ReadonlyMap<string, Value>, options: RunControlOptions = {}): Value[] {
    if (!this.onnx) throw new InvalidArgumentError('execute: only ONNX sessions run graphs');
    const control = new RunControl(this.limits, stopSignalOf(options), options.timeoutMs);
    const { plan, weightBytes } = this.onnx;
    const webgl = this.chosen.webgl;
    if (webgl === undefined) {
      return withGemmEngine(this.chosen.engine, () => executeRun(plan, feeds, control, weightBytes, this.profiler, this.arena));
    }
    // On the GPU: no arena (values in textures have no storage to pool); the outputs are read back
    // before the run's textures are let go.
    const gpu = webgl.products();
    let outs: Value[] = [];
    try {
      outs = withGemmEngine(this.chosen.engine, () => executeRun(plan, feeds, control, weightBytes, this.profiler), gpu);
      return outs;
    } finally {
      gpu.endRun(outs);
    }
  }

  /** The activation arena (absent when created with enableCpuMemArena: false, and after release()). */
  private arena: StorageArena | undefined = new StorageArena();

  /** How the activation arena did: arrays created and reused over the session, bytes free in it now. */
  get arenaStats(): { readonly enabled: boolean; readonly created: number; readonly reused: number; readonly freeBytes: number } {
    const a = this.arena;
    return { enabled: a !== undefined, created: a?.created ?? 0, reused: a?.reused ?? 0, freeBytes: a?.freeBytes ?? 0 };
  }

  private profiler: Profiler | undefined;

  /** Starts recording every run's per-node times (onnxruntime-web's name); ONNX sessions only. */
  startProfiling(): void {
    if (!this.onnx) throw new InvalidArgumentError('startProfiling: profiling covers ONNX sessions only');
    this.profiler = new Profiler();
  }

  /**
   * Stops recording and returns where the time went since startProfiling: per node (time, op
   * type with what was fused into it, output shape), by op type, and the peak of live tensor bytes.
   */
  endProfiling(): ProfileReport {
    if (!this.profiler) throw new InvalidArgumentError('endProfiling: call startProfiling first');
    const report = this.profiler.report();
    this.profiler = undefined;
    return report;
  }

  /**
   * Lets go of the model, its plan (packed weights included), the activation arena and a webgl
   * session's GPU kernels and textures, as onnxruntime-web's release() does: run() afterwards is an
   * InvalidArgumentError. Calling it again does nothing.
   */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.arena?.clear();
    this.onnx = null;
    this.torchscript = null;
    this.chosen.webgl?.destroy();
  }
}

/** Bytes of every initializer (subgraphs included): they count against maxMemoryBytes in every run. */
function weightBytesOf(root: Graph): number {
  let total = 0;
  const stack: Graph[] = [root];
  while (stack.length) {
    const g = stack.pop()!;
    for (const t of g.initializers.values()) total += tensorBytes(t);
    for (const n of g.nodes) for (const sg of subgraphsOf(n)) stack.push(sg);
  }
  return total;
}

function checkInput(name: string, type: ValueType, v: Value): void {
  if (type.kind !== 'tensor') return;
  if (!(v instanceof Tensor)) throw new InvalidArgumentError(`input '${name}' must be a Tensor`);
  if (type.elemType && v.type !== type.elemType) {
    throw new InvalidArgumentError(`input '${name}': expected a ${type.elemType} tensor, got ${v.type}`);
  }
  if (type.shape) {
    const want = type.shape;
    const bad = want.length !== v.dims.length ||
      want.some((d, i) => typeof d === 'number' && d > 0 && d !== v.dims[i]);
    if (bad) {
      const fmt = want.map((d) => (d === null ? '?' : String(d))).join(', ');
      throw new ShapeError(`input '${name}': expected shape [${fmt}], got [${v.dims.join(', ')}]`);
    }
  }
}
