// The runtimes the bench compares, behind one shape: create a session from model bytes and
// feeds, then run it. One thread unless a name ends in -Nt.

import { InferenceSession, Tensor, type SessionOptions } from '../src/node.js';
import type { Feed } from './workloads.js';

type Ort = typeof import('onnxruntime-node');

export interface BenchSession {
  /** Runs once; resolves to the first output's data (for the cross-runtime check). */
  run(): Promise<ArrayLike<number | bigint>>;
  release(): Promise<void>;
}

export interface Runtime {
  /** Column name: tessera-js, tessera-wasm, tessera-wasm-2t, tessera-ts, ort-web, ort-node-2t, ... */
  readonly name: string;
  readonly format: 'onnx' | 'torchscript';
  create(model: Uint8Array, feeds: readonly Feed[]): Promise<BenchSession>;
}

/**
 * tessera on ONNX or TorchScript under `name`, with `options` handed to InferenceSession.create
 * (executionProviders ['cpu'] for the JS kernels, ['wasm'] for the SIMD ones, intraOpNumThreads).
 */
export function tesseraRuntime(name: string, format: 'onnx' | 'torchscript', options: SessionOptions = {}): Runtime {
  return {
    name,
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
        release: () => s.release(),
      };
    },
  };
}

/**
 * onnxruntime-node (native CPU EP) or onnxruntime-web (wasm) on `threads` threads; null when it
 * cannot load. onnxruntime-web's thread count is process-wide (env.wasm.numThreads, read when its
 * wasm starts), so one bench process has ort-web at one thread count only.
 */
export async function ortRuntime(pkg: 'onnxruntime-node' | 'onnxruntime-web', threads = 1): Promise<Runtime | null> {
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
    wasm.numThreads = threads;
    wasm.proxy = false;
  }
  const options = web
    ? { executionProviders: ['wasm'] }
    : { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 };
  return {
    name: `${web ? 'ort-web' : 'ort-node'}${threads > 1 ? `-${threads}t` : ''}`,
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
