// The runtimes the bench compares, behind one shape: create a session from model bytes and
// feeds, then run it. All single-threaded.

import { InferenceSession, Tensor, type SessionOptions } from '../src/index.js';
import type { Feed } from './workloads.js';

type Ort = typeof import('onnxruntime-node');

export interface BenchSession {
  /** Runs once; resolves to the first output's data (for the cross-runtime check). */
  run(): Promise<ArrayLike<number | bigint>>;
  release(): Promise<void>;
}

export interface Runtime {
  /** Column name: tessera, tessera-ts, ort-web, ort-node. */
  readonly name: string;
  readonly format: 'onnx' | 'torchscript';
  create(model: Uint8Array, feeds: readonly Feed[]): Promise<BenchSession>;
}

/**
 * tessera on ONNX or TorchScript. `executionProviders` is handed to InferenceSession.create for
 * when tessera has more than its JS path (`--ep cpu` forces the JS kernels); today tessera has
 * only the JS path and ignores the option.
 */
export function tesseraRuntime(format: 'onnx' | 'torchscript', executionProviders?: readonly string[]): Runtime {
  const options = (executionProviders ? { executionProviders } : {}) as SessionOptions;
  return {
    name: format === 'onnx' ? 'tessera' : 'tessera-ts',
    format,
    async create(model, feeds) {
      const s = await InferenceSession.create(model, options);
      // TorchScript forward parameters may be named differently from the ONNX inputs: feed by position.
      const names = format === 'onnx' ? feeds.map((f) => f.name) : s.inputNames;
      const inputs: Record<string, Tensor> = {};
      feeds.forEach((f, i) => {
        inputs[names[i]!] = f.data instanceof BigInt64Array ? new Tensor('int64', f.data, f.dims) : new Tensor('float32', f.data, f.dims);
      });
      const first = s.outputNames[0]!;
      return {
        run: async () => (await s.run(inputs))[first]!.data as ArrayLike<number | bigint>,
        release: async () => {},
      };
    },
  };
}

/** onnxruntime-node (native CPU EP) or onnxruntime-web (wasm), one thread; null when it cannot load. */
export async function ortRuntime(pkg: 'onnxruntime-node' | 'onnxruntime-web'): Promise<Runtime | null> {
  let ort: Ort;
  try {
    ort = (await import(pkg)) as Ort;
  } catch (e) {
    console.log(`(${pkg} unavailable: ${(e as Error).message.split('\n')[0]})`);
    return null;
  }
  const web = pkg === 'onnxruntime-web';
  if (web) {
    const wasm = ort.env.wasm as { numThreads?: number; proxy?: boolean };
    wasm.numThreads = 1;
    wasm.proxy = false;
  }
  const options = web
    ? { executionProviders: ['wasm'] }
    : { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 };
  return {
    name: web ? 'ort-web' : 'ort-node',
    format: 'onnx',
    async create(model, feeds) {
      const s = await ort.InferenceSession.create(model, options);
      const inputs = Object.fromEntries(feeds.map((f) => [
        f.name, f.data instanceof BigInt64Array ? new ort.Tensor('int64', f.data, f.dims) : new ort.Tensor('float32', f.data, f.dims),
      ]));
      const first = s.outputNames[0]!;
      return {
        run: async () => (await s.run(inputs))[first]!.data as ArrayLike<number | bigint>,
        release: () => s.release(),
      };
    },
  };
}
