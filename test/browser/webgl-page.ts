// The browser side of the webgl tests (test/browser/webgl.test.ts), loaded into the harness's
// page as a second module: tessera's browser entry with gpu.js bundled beside it, as a site would
// ship them, the GPU class passed as the provider's option. Functions on globalThis.tesseraWebgl.

import { GPU } from 'gpu.js';
import { InferenceSession, Tensor } from '../../src/index.js';
import { GpuJsDevice, type GpuJsInstance } from '../../kernels/gpujs/device.js';
import type { Conv2dShaderSpec, GemmShaderSpec } from '../../kernels/gpujs/sources.js';

export interface Feed {
  readonly name: string;
  readonly data: number[];
  readonly dims: number[];
}

export interface WebglRequest {
  /** The model's bytes, or its URL on the test server. */
  readonly model: number[] | string;
  readonly feeds: readonly Feed[];
  /** 'webgl' entries get the GPU class, minMultiplyAdds and minElements added. */
  readonly executionProviders: string[];
  readonly minMultiplyAdds?: number;
  readonly minElements?: number;
  /** Runs before the measured one (kernels compiled, weights uploaded). */
  readonly warmups?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'all';
  /** Threads for 'wasm' (the session's default otherwise). */
  readonly intraOpNumThreads?: number;
}

export interface WebglResult {
  readonly backend: string;
  readonly outputs: { readonly dims: number[]; readonly data: number[] }[];
  /** Of the measured run only (the counters' difference). */
  readonly kernelRuns: number;
  readonly readbacks: number;
  readonly uploads: number;
  readonly gpuNodes: readonly string[];
  readonly ms: number;
}

/** A session for a request, and its feeds as tensors. */
async function create(r: WebglRequest): Promise<{ session: InferenceSession; feeds: Record<string, Tensor> }> {
  const providers = r.executionProviders.map((p) => (p === 'webgl'
    ? {
      name: 'webgl', GPU,
      ...(r.minMultiplyAdds === undefined ? {} : { minMultiplyAdds: r.minMultiplyAdds }), ...(r.minElements === undefined ? {} : { minElements: r.minElements }),
    }
    : p));
  const source = typeof r.model === 'string' ? r.model : Uint8Array.from(r.model);
  const session = await InferenceSession.create(source, {
    executionProviders: providers, ...(r.graphOptimizationLevel ? { graphOptimizationLevel: r.graphOptimizationLevel } : {}),
    ...(r.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: r.intraOpNumThreads }),
  });
  const feeds: Record<string, Tensor> = {};
  for (const f of r.feeds) feeds[f.name] = new Tensor('float32', Float32Array.from(f.data), f.dims);
  return { session, feeds };
}

/** One timed run of `session`, with what crossed to and from the GPU during it. */
async function timed(session: InferenceSession, feeds: Record<string, Tensor>): Promise<WebglResult> {
  const before = session.webgl ?? { kernelRuns: 0, readbacks: 0, uploads: 0 };
  const t0 = performance.now();
  const out = await session.run(feeds);
  const ms = performance.now() - t0;
  const after = session.webgl ?? { kernelRuns: 0, readbacks: 0, uploads: 0, gpuNodes: [] };
  return {
    backend: session.backend,
    outputs: session.outputNames.map((n) => ({ dims: [...out[n]!.dims], data: Array.from(out[n]!.data as Float32Array) })),
    kernelRuns: after.kernelRuns - before.kernelRuns,
    readbacks: after.readbacks - before.readbacks,
    uploads: after.uploads - before.uploads,
    gpuNodes: 'gpuNodes' in after ? after.gpuNodes : [],
    ms,
  };
}

async function run(r: WebglRequest): Promise<WebglResult> {
  const { session, feeds } = await create(r);
  try {
    for (let i = 0; i < (r.warmups ?? 0); i++) await session.run(feeds);
    return await timed(session, feeds);
  } finally {
    await session.release();
  }
}

// Sessions kept open between calls, for bench/browser.ts.
const kept = new Map<string, { session: InferenceSession; feeds: Record<string, Tensor> }>();

/** Creates a session kept as `id` and runs it once: the create time and that first run (outputs included). */
async function open(id: string, r: WebglRequest): Promise<WebglResult & { createMs: number }> {
  const t0 = performance.now();
  const s = await create(r);
  const createMs = performance.now() - t0;
  kept.set(id, s);
  return { ...(await timed(s.session, s.feeds)), createMs };
}

/** One more timed run of the session kept as `id` (outputs left out). */
async function again(id: string): Promise<WebglResult> {
  const s = kept.get(id);
  if (s === undefined) throw new Error(`no session '${id}' is open`);
  return { ...(await timed(s.session, s.feeds)), outputs: [] };
}

async function close(id: string): Promise<void> {
  await kept.get(id)?.session.release();
  kept.delete(id);
}

/** One kernel call for the kernel property tests: its spec and its four arguments. */
export interface KernelCase<S> {
  readonly spec: S;
  readonly a: number[];
  readonly b: number[];
  readonly bias: number[] | null;
  readonly residual: number[] | null;
}

let device: GpuJsDevice | undefined;

/** Runs each case's kernel straight on a GpuJsDevice (no session), returning what it read back. */
function kernels(kind: 'gemm' | 'conv2d', cases: readonly KernelCase<GemmShaderSpec | Conv2dShaderSpec>[]): number[][] {
  device ??= new GpuJsDevice(new GPU({ mode: 'webgl2' }) as unknown as GpuJsInstance);
  const d = device;
  return cases.map((c) => {
    const kernel = kind === 'gemm' ? d.gemmKernel(c.spec as GemmShaderSpec) : d.conv2dKernel(c.spec as Conv2dShaderSpec);
    const size = kind === 'gemm'
      ? (c.spec as GemmShaderSpec).batch * (c.spec as GemmShaderSpec).m * (c.spec as GemmShaderSpec).n
      : (c.spec as Conv2dShaderSpec).batch * (c.spec as Conv2dShaderSpec).outChannels * (c.spec as Conv2dShaderSpec).outH * (c.spec as Conv2dShaderSpec).outW;
    const f = (v: number[] | null) => (v === null ? undefined : Float32Array.from(v));
    const out = d.read(d.run(kernel, Float32Array.from(c.a), Float32Array.from(c.b), f(c.bias), f(c.residual)), size);
    kernel.destroy?.(false);
    return Array.from(out);
  });
}

/** One shader for the kernel property tests: its gpu.js source, output size and flat inputs. */
export interface ShaderCase {
  readonly source: string;
  readonly size: number;
  readonly inputs: number[][];
}

/** Runs each shader straight on a GpuJsDevice (no session), returning what it read back. */
function shaders(cases: readonly ShaderCase[]): number[][] {
  device ??= new GpuJsDevice(new GPU({ mode: 'webgl2' }) as unknown as GpuJsInstance);
  const d = device;
  return cases.map((c) => {
    const kernel = d.kernel(c.source, c.size);
    const out = d.read(d.run(kernel, ...c.inputs.map((v) => Float32Array.from(v))), c.size);
    kernel.destroy?.(false);
    return Array.from(out);
  });
}

/** What gpu.js says about this browser. */
function probe(): { webgl2: boolean; singlePrecision: boolean } {
  return { webgl2: GPU.isWebGL2Supported, singlePrecision: GPU.isSinglePrecisionSupported };
}

const api = { run, probe, kernels, shaders, open, again, close };
export type TesseraWebgl = typeof api;
(globalThis as { tesseraWebgl?: TesseraWebgl }).tesseraWebgl = api;
