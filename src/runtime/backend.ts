// Which kernels a session runs on, chosen once at create from onnxruntime-web's
// `executionProviders` option: 'wasm' (WebAssembly SIMD kernels emitted by kernels/wasm/),
// 'cpu' (the plain JS kernels, which always work) or 'webgl' (alias 'gpu', 'gpu.js': MatMul, Gemm
// and Conv as gpu.js kernels, src/runtime/webgl.ts; every other op on the wasm or JS kernels).
// Names are tried in order and the first one this host can run is taken, as onnxruntime-web
// does; names onnxruntime knows but tessera does not run (webgpu, webnn, cuda, ...) are skipped,
// and so is 'webgl' where gpu.js is missing or finds no WebGL2 with float32 render targets;
// unknown names are an error, and so is a list none of whose names can run here
// (BackendUnavailableError, saying why each was skipped). Without the option: wasm where the
// host compiles SIMD modules at run time, else cpu.
//
// Threads (onnxruntime's `intraOpNumThreads`): the wasm backend runs its kernels on a pool of
// worker threads over shared memory (kernels/wasm/threaded-engine.ts) where the host has
// SharedArrayBuffer, Atomics and workers; results are bit-identical for any count. Default: the
// number of cores, at most 4; 1 where threads cannot run (silently: the same results, one core).

import { type GemmEngine, jsGemmEngine } from '../../kernels/gemm-f32.js';
import { wasmSimdGemmEngine } from '../../kernels/wasm/engine.js';
import { env } from '../env.js';
import { BackendUnavailableError, InvalidArgumentError } from '../errors.js';
// Types only: the webgl provider (and its shaders) loads when a session names it (prepareBackends).
import type { WebGLProvider, WebGLProviderOptions } from './webgl.js';

let webglModule: typeof import('./webgl.js') | undefined;

export type BackendName = 'wasm' | 'cpu' | 'webgl';

export interface Backend {
  readonly name: BackendName;
  /** Threads its kernels run on (1 for cpu). */
  readonly threads: number;
  /** Runs every float32 GEMM, conv and Winograd product of the session (on 'webgl': those the GPU declines). */
  readonly engine: GemmEngine;
  /** 'webgl' only: the GPU that MatMul, Gemm and Conv run on. */
  readonly webgl?: WebGLProvider;
}

/** onnxruntime-web's form: a name, or an object with a name and provider options. */
export type ExecutionProviderConfig = string | { readonly name: string };

/** Execution provider names onnxruntime uses that tessera does not run: skipped, not refused. */
const FOREIGN = new Set(['webgpu', 'webnn', 'xnnpack', 'cuda', 'dml', 'tensorrt', 'coreml', 'nnapi', 'qnn', 'rocm', 'openvino', 'azure']);


const CPU: Backend = Object.freeze({ name: 'cpu', threads: 1, engine: jsGemmEngine });

/** Names of the gpu.js provider (onnxruntime-web's, and two aliases). */
const WEBGL_NAMES = new Set(['webgl', 'gpu', 'gpu.js']);

/**
 * gpu.js's GPU class as `import('gpu.js')` gave it (or why not), once some session asked for
 * webgl without passing the class: set by resolveBackendThreaded before it resolves.
 */
let importedGpu: Awaited<ReturnType<typeof import('./webgl.js').importGpuJs>> | undefined;

function webglBackend(config: WebGLProviderOptions | undefined, where: string): Backend | string {
  const webgl = webglModule;
  if (webgl === undefined) return 'the webgl provider is not loaded (InferenceSession.create loads it; before fromModel, await prepareBackends(providers))';
  const { WebGLProvider, providedGpuClass, webglMode, webglThresholds } = webgl;
  const thresholds = webglThresholds(config, where);
  if (config?.GPU !== undefined && providedGpuClass(config) === undefined) {
    throw new InvalidArgumentError(`${where}: the webgl provider's GPU must be gpu.js's GPU class (import { GPU } from 'gpu.js')`);
  }
  const GPU = providedGpuClass(config) ?? (typeof importedGpu === 'string' ? undefined : importedGpu);
  if (GPU === undefined) {
    const why = typeof importedGpu === 'string' ? importedGpu : 'gpu.js is not loaded';
    return `${why}; install gpu.js, or pass its class: { name: 'webgl', GPU }`;
  }
  const m = webglMode(GPU);
  if ('reason' in m) return m.reason;
  return { name: 'webgl', threads: 1, engine: (wasmBackend() ?? CPU).engine, webgl: new WebGLProvider(GPU, m.mode, thresholds) };
}

function wasmBackend(): Backend | null {
  const engine = wasmSimdGemmEngine();
  return engine === null ? null : { name: 'wasm', threads: 1, engine };
}

/** The backend for `executionProviders` (see the header); `where` names the caller in errors. */
export function resolveBackend(providers: unknown, where: string): Backend {
  if (providers === undefined) return wasmBackend() ?? CPU;
  if (!Array.isArray(providers)) {
    throw new InvalidArgumentError(`${where}: executionProviders must be an array such as ['wasm', 'cpu'], got ${typeof providers}`);
  }
  if (providers.length === 0) return wasmBackend() ?? CPU;
  const skipped: { name: string; reason: string }[] = [];
  for (const p of providers as unknown[]) {
    const name = typeof p === 'string' ? p : p !== null && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string' ? (p as { name: string }).name : undefined;
    if (name === undefined) {
      throw new InvalidArgumentError(`${where}: each execution provider must be a name or { name }, got ${JSON.stringify(p) ?? typeof p}`);
    }
    if (name === 'cpu') return CPU;
    if (name === 'wasm') {
      const b = wasmBackend();
      if (b !== null) return b;
      skipped.push({ name, reason: 'this host cannot compile WebAssembly SIMD modules at run time' });
      continue;
    }
    if (WEBGL_NAMES.has(name)) {
      const b = webglBackend(typeof p === 'object' ? (p as WebGLProviderOptions) : undefined, where);
      if (typeof b !== 'string') return b;
      skipped.push({ name, reason: b });
      continue;
    }
    if (FOREIGN.has(name)) {
      skipped.push({ name, reason: 'not an execution provider tessera runs' });
      continue;
    }
    throw new InvalidArgumentError(`${where}: unknown execution provider '${name}' (tessera runs 'wasm', 'webgl' and 'cpu')`);
  }
  throw new BackendUnavailableError(
    `${where}: none of the execution providers can run here: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}; add 'cpu' to fall back to the JS kernels`,
    skipped,
  );
}

/**
 * Imports gpu.js when `providers` asks for webgl without passing its class and the page has none
 * (once per process), so that resolveBackend can then take webgl. Invalid lists are left to it.
 */
export async function prepareBackends(providers: unknown): Promise<void> {
  if (!namesWebgl(providers)) return;
  const webgl = webglModule ??= await import('./webgl.js');
  if (importedGpu === undefined && asksForGpuJsImport(providers, webgl)) importedGpu = await webgl.importGpuJs();
}

/** Whether `providers` (an executionProviders value, checked or not) names the webgl provider. */
export function namesWebgl(providers: unknown): boolean {
  return Array.isArray(providers) && (providers as unknown[]).some((p) => {
    const name = typeof p === 'string' ? p : (p as { name?: unknown } | null)?.name;
    return typeof name === 'string' && WEBGL_NAMES.has(name);
  });
}

/** Whether `providers` names webgl without its GPU class where the page provides none (then gpu.js is imported). */
function asksForGpuJsImport(providers: unknown, { providedGpuClass }: typeof import('./webgl.js')): boolean {
  if (!Array.isArray(providers)) return false;
  for (const p of providers as unknown[]) {
    const name = typeof p === 'string' ? p : (p as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || !WEBGL_NAMES.has(name)) continue;
    return providedGpuClass(typeof p === 'object' ? (p as WebGLProviderOptions) : undefined) === undefined;
  }
  return false;
}

/** Cores of this host, as the platform says (navigator.hardwareConcurrency; the Node entry sets it on Node 20). */
let cores: () => number = () => {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
};

/** For platform entries whose globals do not say how many cores there are (Node 20). */
export function setCoreCount(count: () => number): void {
  cores = count;
}

/**
 * The default intraOpNumThreads: the cores, at most 4; 1 in Deno, whose web Workers cannot be
 * unref'd, so a pool made by default would keep every script alive after its last line (ask for
 * threads explicitly there, and end with Deno.exit()).
 */
export function defaultThreadCount(): number {
  if (typeof (globalThis as { Deno?: unknown }).Deno === 'object') return 1;
  return Math.max(1, Math.min(4, Math.floor(cores())));
}

/**
 * resolveBackend, then for wasm on `threads` threads (0 or undefined: defaultThreadCount()):
 * the threaded engine where the host can run it, else the one-thread engine.
 */
export async function resolveBackendThreaded(providers: unknown, threads: unknown, where: string): Promise<Backend> {
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0)) {
    throw new InvalidArgumentError(`${where}: intraOpNumThreads must be a whole number >= 0 (0: the default, ${defaultThreadCount()} here), got ${String(threads)}`);
  }
  await prepareBackends(providers);
  const b = resolveBackend(providers, where);
  const want = threads === undefined || threads === 0 ? env.wasm.numThreads || defaultThreadCount() : threads;
  if (b.name !== 'wasm' || want < 2) return b;
  // The thread pool loads with the first session that asks for threads: a bundle's entry does not
  // carry it (test/unit/bundle-budgets.test.ts), nor does a host that cannot run it load it twice.
  const { threadedWasmSimdGemmEngine } = await import('../../kernels/wasm/threaded-engine.js');
  const engine = await threadedWasmSimdGemmEngine(want);
  return engine === null ? b : { name: 'wasm', threads: engine.threads, engine };
}
