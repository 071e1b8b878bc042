// The digits model in Cloudflare's workerd: the core (bundled with esbuild, nothing else) runs in a
// runtime that forbids eval/new Function and has no Node APIs. Serves on a loopback port only.

import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = ['digits_cnn_opset17.onnx', 'test_images.npy', 'test_labels.npy', 'test_logits.npy'];

describe('portability: workerd', () => {
  it('runs the digits model with outputs within 1e-4 of PyTorch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-workerd-'));
    await build({
      entryPoints: [join(root, 'test/portability/workerd/worker.ts')],
      bundle: true, format: 'esm', platform: 'neutral', outfile: join(dir, 'worker.js'),
      external: DATA, mainFields: ['module', 'main'], logLevel: 'silent',
    });
    for (const f of DATA) copyFileSync(join(root, 'spec-models/digits', f), join(dir, f));
    const port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
${DATA.map((f) => `    (name = "${f}", data = embed "${f}"),`).join('\n')}
  ],
  compatibilityDate = "2025-01-01",
);
`);
    const proc = spawn(join(root, 'node_modules/.bin/workerd'), ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stdout.on('data', (d) => { log += d; });
    proc.stderr.on('data', (d) => { log += d; });
    try {
      let body: string | undefined;
      for (let attempt = 0; attempt < 100 && body === undefined; attempt++) {
        await new Promise((r) => setTimeout(r, 200));
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          body = await res.text();
          if (!res.ok) throw new Error(`HTTP ${res.status}: ${body}\n${log}`);
        } catch (e) {
          if ((e as Error).message.startsWith('HTTP')) throw e;
        }
      }
      if (body === undefined) throw new Error(`workerd did not answer:\n${log}`);
      const result = JSON.parse(body) as { n: number; accuracy: number; maxDiff: number; dims: number[]; workerMode: string };
      expect(result.n).toBe(360);
      expect(result.dims).toEqual([360, 10]);
      expect(result.maxDiff).toBeLessThan(1e-4);
      expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(result.workerMode).toMatch(/^WorkerError WORKER: .*worker: true needs workers.*no global Worker/);
    } finally {
      proc.kill();
    }
  }, 120_000);
});
