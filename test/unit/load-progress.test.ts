// InferenceSession.create's onProgress option (issue 13): bytes loaded and the total to load, from
// the file and URL loaders (model file and external data), at the start, as chunks arrive and at
// the end.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node.js';
import { InferenceSession, InvalidArgumentError, Tensor } from '../../src/index.js';
import type { LoadProgress } from '../../src/api/session.js';
import { loadProgressLine } from '../../src/cli/load-progress.js';
import { writeModel } from '../helpers/onnx-writer.js';

/** y = x + w, w an initializer of n floats in external file 'w.bin' (or inline). */
function addModel(n: number, external: boolean): Uint8Array {
  return writeModel({
    graph: {
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', elemType: 1, shape: [n] }],
      outputs: [{ name: 'y', elemType: 1, shape: [n] }],
      initializers: [external
        ? { name: 'w', dataType: 1, dims: [n], external: { location: 'w.bin', offset: 0, length: n * 4 } }
        : { name: 'w', dataType: 1, dims: [n], floats: Array.from({ length: n }, (_, i) => i) }],
    },
  });
}

const N = 5_000_000; // 20 MB of external data: more than one 16 MB read
const dir = mkdtempSync(join(tmpdir(), 'tessera-progress-'));
const model = addModel(N, true);
const weights = new Uint8Array(new Float32Array(N).fill(0.5).buffer);
writeFileSync(join(dir, 'm.onnx'), model);
writeFileSync(join(dir, 'w.bin'), weights);

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const body = req.url?.startsWith('/m.onnx') ? model : req.url === '/w.bin' ? weights : undefined;
    if (!body) {
      res.writeHead(404);
      res.end();
      return;
    }
    // ?chunked: no Content-Length, the body in pieces
    if (req.url!.endsWith('?chunked')) {
      res.writeHead(200);
      res.write(body.subarray(0, 10));
      res.end(body.subarray(10));
    } else {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function progressOf(source: string | Uint8Array, options: object = {}): Promise<LoadProgress[]> {
  const seen: LoadProgress[] = [];
  const s = await InferenceSession.create(source, { ...options, onProgress: (p) => seen.push(p) });
  // the model still runs
  const n = (s.inputMetadata[0]!.shape![0] as number);
  const out = await s.run({ x: new Tensor('float32', new Float32Array(n), [n]) });
  expect(out.y!.dims).toEqual([n]);
  return seen;
}

/** Starts at 0 of unknown, ends at loaded === total === `bytes`; loaded never goes back. */
function expectWellFormed(seen: LoadProgress[], bytes: number): void {
  expect(seen[0]).toEqual({ loaded: 0, total: undefined });
  expect(seen.at(-1)).toEqual({ loaded: bytes, total: bytes });
  for (let i = 1; i < seen.length; i++) {
    expect(seen[i]!.loaded).toBeGreaterThanOrEqual(seen[i - 1]!.loaded);
    const t = seen[i]!.total;
    if (t !== undefined) expect(t).toBeGreaterThanOrEqual(seen[i]!.loaded);
  }
}

describe('InferenceSession.create({ onProgress })', () => {
  const all = model.length + weights.length;

  it('from a path: the model file, then its external data in 16 MB pieces', async () => {
    const seen = await progressOf(join(dir, 'm.onnx'));
    expectWellFormed(seen, all);
    expect(seen[1]).toEqual({ loaded: 0, total: model.length }); // the file's size, from stat
    expect(seen).toContainEqual({ loaded: model.length, total: model.length });
    expect(seen).toContainEqual({ loaded: model.length, total: all }); // the external range announced
    expect(seen).toContainEqual({ loaded: model.length + (16 << 20), total: all });
  });

  it('from an http URL, with and without Content-Length (total unknown while it streams)', async () => {
    const seen = await progressOf(`${base}/m.onnx`);
    expectWellFormed(seen, all);
    expect(seen[1]).toEqual({ loaded: 0, total: model.length });
    const chunked = await progressOf(`${base}/m.onnx?chunked`);
    expectWellFormed(chunked, all);
    expect(chunked.some((p) => p.loaded > 0 && p.total === undefined)).toBe(true);
  });

  it('from bytes, with externalData as onnxruntime-web gives it: the start, each file once, the end', async () => {
    const seen = await progressOf(model, { externalData: [{ path: 'w.bin', data: weights }] });
    expectWellFormed(seen, all);
    const small = addModel(4, false);
    expect(await progressOf(small)).toEqual([
      { loaded: 0, total: undefined }, { loaded: 0, total: small.length }, { loaded: small.length, total: small.length },
      { loaded: small.length, total: small.length },
    ]);
  });

  it('in a worker session too (the model and external data are read on this thread)', async () => {
    const seen: LoadProgress[] = [];
    const s = await InferenceSession.create(join(dir, 'm.onnx'), { worker: true, onProgress: (p) => seen.push(p) });
    try {
      expectWellFormed(seen, all);
    } finally {
      await s.release();
    }
  });

  it('an onProgress that is not a function is refused', async () => {
    await expect(InferenceSession.create(model, { onProgress: 5 as never })).rejects.toThrow(InvalidArgumentError);
    await expect(InferenceSession.create(model, { onProgress: 5 as never })).rejects.toThrow(/options\.onProgress must be a function/);
  });
});

describe("the CLI's progress line (src/cli/load-progress.ts)", () => {
  it('on a terminal: drawn after 300 ms, at most every 100 ms, erased at the end; nothing on a pipe', () => {
    let t = 0;
    const written: string[] = [];
    const line = loadProgressLine({ isTTY: true, write: (s) => written.push(s) }, () => t)!;
    line({ loaded: 0, total: undefined });
    t = 100;
    line({ loaded: 0, total: 100 << 20 });
    expect(written).toEqual([]); // a quick load shows nothing
    t = 400;
    line({ loaded: 25 << 20, total: 100 << 20 });
    t = 450;
    line({ loaded: 30 << 20, total: 100 << 20 }); // too soon after the last
    t = 600;
    line({ loaded: 60 << 20, total: undefined });
    line({ loaded: 160 << 20, total: 160 << 20 });
    expect(written).toEqual([
      '\r\x1b[Kloading model: 25.0 MB of 100.0 MB (25%)', '\r\x1b[Kloading model: 60.0 MB', '\r\x1b[K',
    ]);
    expect(loadProgressLine({ isTTY: false, write: () => 0 })).toBeUndefined();
    expect(loadProgressLine({ write: () => 0 })).toBeUndefined();
  });
});
