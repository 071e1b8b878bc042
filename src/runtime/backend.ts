// Which kernels a session runs on, chosen once at create from onnxruntime-web's
// `executionProviders` option: 'wasm' (WebAssembly SIMD kernels emitted by kernels/wasm/) or
// 'cpu' (the plain JS kernels, which always work). Names are tried in order and the first one
// this host can run is taken, as onnxruntime-web does; names onnxruntime knows but tessera does
// not run (webgpu, webnn, cuda, ...) are skipped, unknown names are an error. Without the option:
// wasm where the host compiles SIMD modules at run time, else cpu.
//
// Threads (onnxruntime's `intraOpNumThreads`): the wasm backend runs its kernels on a pool of
// worker threads over shared memory (kernels/wasm/threaded-engine.ts) where the host has
// SharedArrayBuffer, Atomics and workers; results are bit-identical for any count. Default: the
// number of cores, at most 4; 1 where threads cannot run (silently: the same results, one core).

import { type GemmEngine, jsGemmEngine } from '../../kernels/gemm-f32.js';
import { wasmSimdGemmEngine } from '../../kernels/wasm/engine.js';
import { threadedWasmSimdGemmEngine } from '../../kernels/wasm/threaded-engine.js';
import { env } from '../env.js';
import { InvalidArgumentError } from '../errors.js';

export type BackendName = 'wasm' | 'cpu';

export interface Backend {
  readonly name: BackendName;
  /** Threads its kernels run on (1 for cpu). */
  readonly threads: number;
  /** Runs every float32 GEMM, conv and Winograd product of the session. */
  readonly engine: GemmEngine;
}

/** onnxruntime-web's form: a name, or an object with a name and provider options. */
export type ExecutionProviderConfig = string | { readonly name: string };

/** Execution provider names onnxruntime uses that tessera does not run: skipped, not refused. */
const FOREIGN = new Set(['webgl', 'webgpu', 'webnn', 'xnnpack', 'cuda', 'dml', 'tensorrt', 'coreml', 'nnapi', 'qnn', 'rocm', 'openvino', 'azure']);


const CPU: Backend = Object.freeze({ name: 'cpu', threads: 1, engine: jsGemmEngine });

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
  const skipped: string[] = [];
  for (const p of providers as unknown[]) {
    const name = typeof p === 'string' ? p : p !== null && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string' ? (p as { name: string }).name : undefined;
    if (name === undefined) {
      throw new InvalidArgumentError(`${where}: each execution provider must be a name or { name }, got ${JSON.stringify(p) ?? typeof p}`);
    }
    if (name === 'cpu') return CPU;
    if (name === 'wasm') {
      const b = wasmBackend();
      if (b !== null) return b;
      skipped.push(`wasm (this host cannot compile WebAssembly SIMD modules at run time)`);
      continue;
    }
    if (FOREIGN.has(name)) {
      skipped.push(`${name} (not an execution provider tessera runs)`);
      continue;
    }
    throw new InvalidArgumentError(`${where}: unknown execution provider '${name}' (tessera runs 'wasm' and 'cpu')`);
  }
  throw new InvalidArgumentError(`${where}: none of the execution providers can run here: ${skipped.join('; ')}; add 'cpu' to fall back to the JS kernels`);
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
  const b = resolveBackend(providers, where);
  const want = threads === undefined || threads === 0 ? env.wasm.numThreads || defaultThreadCount() : threads;
  if (b.name !== 'wasm' || want < 2) return b;
  const engine = await threadedWasmSimdGemmEngine(want);
  return engine === null ? b : { name: 'wasm', threads: engine.threads, engine };
}
