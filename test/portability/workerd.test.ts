// The digits model and resnet18 in Cloudflare's workerd: the core (bundled with esbuild, nothing else) runs in a
// runtime that forbids eval/new Function, compiling wasm bytes at run time and Node APIs. Loopback port only.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { reportAbsent } from '../helpers/absent-files.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = ['digits_cnn_opset17.onnx', 'test_images.npy', 'test_labels.npy', 'test_logits.npy'];
/** The wasm engine's modules as the build writes them (npm test builds first). */
const WASM = ['gemm', 'gemm-fma', 'conv', 'conv-fma', 'winograd'].map((m) => `${m}.wasm`);

/** Bundles `entry`, serves it from workerd with `data` (name -> path) and the wasm modules, and calls `use` with its URL. */
async function withWorker(entry: string, data: Record<string, string>, use: (url: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-workerd-'));
  const names = Object.keys(data);
  await build({
    entryPoints: [join(root, entry)],
    bundle: true, format: 'esm', platform: 'neutral', outfile: join(dir, 'worker.js'),
    external: [...names, ...WASM], mainFields: ['module', 'main'], logLevel: 'silent',
    define: { WASM_KEYS: readFileSync(join(root, 'dist/wasm/modules.json'), 'utf8') },
  });
  for (const [f, path] of Object.entries(data)) copyFileSync(path, join(dir, f));
  for (const f of WASM) copyFileSync(join(root, 'dist/wasm', f), join(dir, f));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
${names.map((f) => `    (name = "${f}", data = embed "${f}"),`).join('\n')}
${WASM.map((f) => `    (name = "${f}", wasm = embed "${f}"),`).join('\n')}
  ],
  compatibilityDate = "2025-01-01",
);
`);
  const proc = spawn(join(root, 'node_modules/.bin/workerd'), ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  try {
    let up = false;
    for (let attempt = 0; attempt < 100 && !up; attempt++) {
      await new Promise((r) => setTimeout(r, 200));
      up = await fetch(`http://127.0.0.1:${port}/health`, { method: 'HEAD' }).then(() => true, () => false);
    }
    if (!up) throw new Error(`workerd did not answer:\n${log}`);
    await use(`http://127.0.0.1:${port}/`).catch((e: Error) => {
      throw new Error(`${e.message}\n${log}`);
    });
  } finally {
    proc.kill();
  }
}

async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${body}`);
  return JSON.parse(body) as T;
}

const RESNET = join(root, 'spec-models/onnx/large/bench_resnet18_96.onnx');

describe('portability: workerd', () => {
  it('runs the digits model with outputs within 1e-4 of PyTorch, on the wasm path from build-time modules and on the JS path', async () => {
    const data = Object.fromEntries(DATA.map((f) => [f, join(root, 'spec-models/digits', f)]));
    await withWorker('test/portability/workerd/worker.ts', data, async (url) => {
      const result = await fetchJson<{
        n: number; accuracy: number; maxDiff: number; dims: number[]; workerMode: string; backend: string; cpuBackend: string; cpuDiff: number;
        webglMode: string; webglFallback: string;
      }>(url);
      expect(result.n).toBe(360);
      expect(result.dims).toEqual([360, 10]);
      // workerd cannot compile bytes at run time: the wasm path runs from the build's .wasm modules.
      expect(result.backend).toBe('wasm');
      expect(result.maxDiff).toBeLessThan(1e-4);
      expect(result.cpuBackend).toBe('cpu');
      expect(result.cpuDiff).toBeLessThan(1e-4);
      expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(result.workerMode).toMatch(/^WorkerError WORKER: .*worker: true needs workers.*no global Worker/);
      expect(result.webglMode).toMatch(/^BackendUnavailableError BACKEND_UNAVAILABLE: .*webgl \(gpu\.js could not be imported/);
      expect(result.webglFallback).toBe('cpu');
    });
  }, 120_000);

  it.skipIf(!existsSync(RESNET))('runs resnet18 (1x3x96x96) on the wasm path, within 1e-3 of onnxruntime-node', async () => {
    const x = new Float32Array(3 * 96 * 96);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 1.5;
    const ort = await import('onnxruntime-node');
    const ref = await ort.InferenceSession.create(RESNET);
    const want = (await ref.run({ [ref.inputNames[0]!]: new ort.Tensor('float32', x, [1, 3, 96, 96]) }))[ref.outputNames[0]!]!.data as Float32Array;
    await withWorker('test/portability/workerd/resnet-worker.ts', { 'resnet18.onnx': RESNET }, async (url) => {
      const got = await fetchJson<{ backend: string; dims: number[]; logits: number[] }>(url, { method: 'POST', body: x });
      expect(got.backend).toBe('wasm');
      expect(got.dims).toEqual([1, 1000]);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.logits[i]! - want[i]!));
      expect(worst).toBeLessThan(1e-3);
    });
  }, 180_000);
});
reportAbsent('portability: workerd resnet18', existsSync(RESNET) ? [] : ['spec-models/onnx/large/bench_resnet18_96.onnx'], '/usr/bin/python3 spec-models/bench_models.py');
