// The browser side of the browser tests (test/browser/harness.ts bundles it with tessera's browser
// entry and serves it): functions on globalThis.tesseraPage that the tests call through
// page.evaluate. Models and inputs are fetched from the test server by URL, as a web page would;
// results go back as plain arrays, compared in the Node test process.

import { InferenceSession, parseNpy, Tensor } from '../../src/index.js';
import { relaxedSimdAvailable } from '../../kernels/wasm/host.js';

/** (module (func (result v128) v128.const i32x4 0 0 0 0)): validates where wasm SIMD does. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b,
]);

export interface Capabilities {
  readonly userAgent: string;
  readonly webgl2: boolean;
  readonly webgl2Renderer: string | null;
  readonly extColorBufferFloat: boolean;
  readonly wasmSimd: boolean;
  readonly relaxedSimd: boolean;
  readonly crossOriginIsolated: boolean;
  readonly sharedArrayBuffer: boolean;
  readonly hardwareConcurrency: number;
  /** 'absent' (no navigator.gpu), 'no adapter', or the adapter's vendor/architecture. */
  readonly webgpu: string;
}

async function capabilities(): Promise<Capabilities> {
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string } } | null> } }).gpu;
  let webgpu = 'absent';
  if (gpu) {
    const timeout = new Promise<'timed out'>((ok) => setTimeout(() => ok('timed out'), 5000));
    const adapter = await Promise.race([gpu.requestAdapter().catch(() => null), timeout]);
    webgpu = adapter === 'timed out' ? 'requestAdapter timed out' : adapter === null ? 'no adapter' : `adapter ${adapter.info?.vendor ?? '?'}/${adapter.info?.architecture ?? '?'}`;
  }
  return {
    userAgent: navigator.userAgent,
    webgl2: gl !== null,
    webgl2Renderer: gl ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : null,
    extColorBufferFloat: gl?.getExtension('EXT_color_buffer_float') != null,
    wasmSimd: WebAssembly.validate(SIMD_PROBE),
    relaxedSimd: relaxedSimdAvailable(),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    hardwareConcurrency: navigator.hardwareConcurrency,
    webgpu,
  };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export interface RunRequest {
  /** The model's URL on the test server: the session fetches it. */
  readonly model: string;
  /** The input: an .npy URL, or values and dims. */
  readonly input: { readonly npy: string } | { readonly data: number[]; readonly dims: number[] };
  readonly executionProviders: string[];
  readonly intraOpNumThreads?: number;
  readonly worker?: boolean;
}

export interface RunResult {
  readonly backend: string;
  readonly threads: number;
  readonly dims: number[];
  readonly output: number[];
}

async function inputOf(request: RunRequest): Promise<Tensor> {
  if (!('npy' in request.input)) return new Tensor('float32', Float32Array.from(request.input.data), request.input.dims);
  const npy = parseNpy(await fetchBytes(request.input.npy), request.input.npy);
  return new Tensor('float32', npy.data as Float32Array, npy.dims);
}

async function run(request: RunRequest): Promise<RunResult> {
  const input = await inputOf(request);
  const session = await InferenceSession.create(request.model, {
    executionProviders: request.executionProviders,
    ...(request.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: request.intraOpNumThreads }),
    ...(request.worker ? { worker: true } : {}),
  });
  try {
    const outputs = await session.run({ [session.inputNames[0]!]: input });
    const out = outputs[session.outputNames[0]!]!;
    return { backend: session.backend, threads: session.threads, dims: [...out.dims], output: Array.from(out.data as Float32Array) };
  } finally {
    await session.release();
  }
}

const api = { capabilities, run };
export type TesseraPage = typeof api;
(globalThis as { tesseraPage?: TesseraPage }).tesseraPage = api;
