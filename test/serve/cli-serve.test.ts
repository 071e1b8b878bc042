// `tessera serve`'s command line and model folder (src/cli/serve.ts): flags, names from file stems
// or tessera-serve.json, torch.save pickles skipped, clashing names refused; and the Node host
// started in-process on port 0 with sessions on the main thread.

import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { modelSources, parseServeArgs, startServer } from '../../src/cli/serve.js';
import { UsageError } from '../../src/cli/io.js';

const digits = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/digits');
const temp = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('tessera serve arguments', () => {
  it('defaults, and every flag', () => {
    expect(parseServeArgs(['m.onnx'])).toEqual({ path: 'm.onnx', port: 8000, host: '127.0.0.1', worker: true, providers: undefined, options: {} });
    const a = parseServeArgs(['dir', '--port', '0', '--host', '0.0.0.0', '--max-batch', '8', '--batch-delay-ms', '5',
      '--max-body-bytes', '2M', '--timeout-ms', '100', '--concurrency', '3', '--no-worker', '--ep', 'cpu']);
    expect(a).toEqual({
      path: 'dir', port: 0, host: '0.0.0.0', worker: false, providers: ['cpu'],
      options: { maxBatch: 8, batchDelayMs: 5, maxBodyBytes: 2 * 2 ** 20, timeoutMs: 100, maxConcurrency: 3 },
    });
  });

  it('refuses what it cannot use', () => {
    for (const args of [[], ['a', 'b'], ['m', '--port', 'x'], ['m', '--port', '70000'], ['m', '--max-batch', '0'], ['m', '--frobnicate']]) {
      expect(() => parseServeArgs(args), args.join(' ')).toThrow(UsageError);
    }
  });
});

describe('a model folder', () => {
  it('names models by stem or tessera-serve.json, and skips torch.save pickles', async () => {
    const dir = join(temp, 'models');
    rmSync(dir, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(dir);
    copyFileSync(join(digits, 'digits_cnn_opset17.onnx'), join(dir, 'a.onnx'));
    copyFileSync(join(digits, 'digits_cnn_trace.pt'), join(dir, 'b.pt'));
    copyFileSync(join(digits, 'digits_cnn_state_dict.pt'), join(dir, 'weights.pt'));
    writeFileSync(join(dir, 'notes.txt'), 'not a model');
    writeFileSync(join(dir, 'tessera-serve.json'), JSON.stringify({ models: { 'a.onnx': { name: 'digits', version: '2' } } }));
    const lines: string[] = [];
    const loaded: string[] = [];
    const sources = await modelSources(dir, async (f) => { loaded.push(f); throw new Error('not loaded here'); }, { out: (l) => lines.push(l) });
    expect(sources.map((s) => [s.name, s.version])).toEqual([['digits', '2'], ['b', undefined]]);
    expect(lines.join('\n')).toMatch(/skipping weights\.pt: a torch\.save pickle/);
    expect(loaded).toEqual([]); // nothing loads until the server asks
  });

  it('refuses two files that would share a name, and a folder without models', async () => {
    const dir = join(temp, 'clash');
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    copyFileSync(join(digits, 'digits_cnn_opset17.onnx'), join(dir, 'm.onnx'));
    copyFileSync(join(digits, 'digits_cnn_trace.pt'), join(dir, 'm.pt'));
    await expect(modelSources(dir, async () => { throw new Error('x'); }, { out: () => {} })).rejects.toThrow(/would both be model 'm'/);
    const empty = join(temp, 'empty');
    (await import('node:fs')).mkdirSync(empty, { recursive: true });
    await expect(modelSources(empty, async () => { throw new Error('x'); }, { out: () => {} })).rejects.toThrow(/no \.onnx or TorchScript/);
  });
});

describe('the Node host in-process', () => {
  it('listens on port 0, serves, and closes', async () => {
    const running = await startServer(parseServeArgs([join(digits, 'digits_cnn_opset17.onnx'), '--port', '0', '--no-worker']), { out: () => {} });
    try {
      await running.server.ready();
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${running.url}/v2/health/ready`)).json()).toEqual({ ready: true });
      const r = await fetch(`${running.url}/v2/models/digits_cnn_opset17/infer`, {
        method: 'POST', body: JSON.stringify({ inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', data: new Array(64).fill(0.5) }] }),
      });
      expect(r.status).toBe(200);
      expect((await r.json() as { outputs: { shape: number[] }[] }).outputs[0]!.shape).toEqual([1, 10]);
    } finally {
      await running.close();
    }
    await expect(fetch(`${running.url}/v2/health/live`)).rejects.toThrow();
  });
});
