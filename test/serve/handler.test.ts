// The Open Inference Protocol handler (src/serve/handler.ts) driven with fetch Requests, no HTTP
// server: every endpoint, JSON and binary tensors, the protocol's errors, a model that fails to
// load; inference results are compared with a direct session.run of the digits model.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import { type InferenceServer, createInferenceServer } from '../../src/serve/handler.js';
import { concatBytes } from '../../src/bytes.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/digits');
const bytesOf = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
const images = parseNpy(bytesOf('test_images.npy'), 'test_images.npy');
const ROW = 64;
/** `n` digit images from `at`, as a [n, 1, 8, 8] float32 tensor. */
const digits = (at: number, n: number) =>
  new Tensor('float32', (images.data as Float32Array).slice(at * ROW, (at + n) * ROW), [n, 1, 8, 8]);

const base = 'http://tessera.test';
const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  new Request(`${base}${path}`, { method: 'POST', body, headers });
const infer = (model: string, request: unknown) => post(`/v2/models/${model}/infer`, JSON.stringify(request));
const imageInput = (t: Tensor) => ({ name: 'image', shape: t.dims, datatype: 'FP32', data: Array.from(t.data as Float32Array) });

/** A binary-extension body: the JSON header, then each chunk of binary data. */
function binaryBody(header: unknown, ...chunks: Uint8Array[]): { body: Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const body = concatBytes([json, ...chunks]) as Uint8Array<ArrayBuffer>;
  return { body, headers: { 'inference-header-content-length': String(json.length), 'content-type': 'application/octet-stream' } };
}

let direct: InferenceSession;
let server: InferenceServer;

beforeAll(async () => {
  direct = await InferenceSession.create(bytesOf('digits_cnn_opset17.onnx'));
  server = createInferenceServer({
    models: [
      { name: 'digits', load: () => InferenceSession.create(bytesOf('digits_cnn_opset17.onnx')) },
      { name: 'digits', version: '13', load: () => InferenceSession.create(bytesOf('digits_cnn_opset13.onnx')) },
      { name: 'traced', load: () => InferenceSession.create(bytesOf('digits_cnn_trace.pt')) },
    ],
    maxBodyBytes: 64 * 1024,
  });
  await server.ready();
});
afterAll(async () => {
  await server.close();
});

async function expected(t: Tensor): Promise<Float32Array> {
  return (await direct.run({ image: t })).logits!.data as Float32Array;
}

describe('health and metadata', () => {
  it('GET /v2/health/live and /v2/health/ready', async () => {
    const live = await server.handle(new Request(`${base}/v2/health/live`));
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ live: true });
    const ready = await server.handle(new Request(`${base}/v2/health/ready`));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
  });

  it('GET /v2: server metadata with the binary tensor data extension', async () => {
    const r = await server.handle(new Request(`${base}/v2`));
    expect(r.status).toBe(200);
    const body = await r.json() as { name: string; extensions: string[] };
    expect(body.name).toBe('tessera');
    expect(body.extensions).toContain('binary_tensor_data');
  });

  it('GET /v2/models/{name}[/versions/{v}]: inputs and outputs with protocol datatypes, free dims as -1', async () => {
    const r = await server.handle(new Request(`${base}/v2/models/digits`));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      name: 'digits', versions: ['13'], platform: 'tessera_onnx',
      inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, 1, 8, 8] }],
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 10] }],
    });
    const v = await server.handle(new Request(`${base}/v2/models/digits/versions/13`));
    expect(v.status).toBe(200);
    const ts = await server.handle(new Request(`${base}/v2/models/traced`));
    expect((await ts.json() as { platform: string }).platform).toBe('tessera_torchscript');
  });

  it('GET .../ready for a model and a version', async () => {
    for (const path of ['/v2/models/digits/ready', '/v2/models/digits/versions/13/ready', '/v2/models/traced/ready']) {
      const r = await server.handle(new Request(`${base}${path}`));
      expect(r.status, path).toBe(200);
      expect((await r.json() as { ready: boolean }).ready).toBe(true);
    }
  });

  it('unknown models, versions and routes are 404 with an error body; a wrong method is 405', async () => {
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/digits/versions/7', '/v2/nothing', '/']) {
      const r = await server.handle(new Request(`${base}${path}`));
      expect(r.status, path).toBe(404);
      expect(typeof (await r.json() as { error: string }).error).toBe('string');
    }
    const r = await server.handle(new Request(`${base}/v2/models/digits/infer`));
    expect(r.status).toBe(405);
    expect((await r.json() as { error: string }).error).toMatch(/POST/);
  });
});

describe('infer', () => {
  it('JSON tensors: the logits equal a direct session.run, with id and model name echoed', async () => {
    const t = digits(0, 3);
    const r = await server.handle(infer('digits', { id: 'req-1', inputs: [imageInput(t)] }));
    expect(r.status).toBe(200);
    const body = await r.json() as { model_name: string; id: string; outputs: { name: string; datatype: string; shape: number[]; data: number[] }[] };
    expect(body.model_name).toBe('digits');
    expect(body.id).toBe('req-1');
    expect(body.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['logits', 'FP32', [3, 10]]]);
    expect(Float32Array.from(body.outputs[0]!.data)).toEqual(await expected(t));
  });

  it('nested JSON data is read row-major, as flat data is', async () => {
    const t = digits(5, 2);
    const flat = Array.from(t.data as Float32Array);
    const nested = [0, 1].map((n) => [[0, 1, 2, 3, 4, 5, 6, 7].map((r) => flat.slice(n * 64 + r * 8, n * 64 + r * 8 + 8))]);
    const r = await server.handle(infer('digits', { inputs: [{ name: 'image', shape: [2, 1, 8, 8], datatype: 'FP32', data: nested }] }));
    expect(r.status).toBe(200);
    const body = await r.json() as { outputs: { data: number[] }[] };
    expect(Float32Array.from(body.outputs[0]!.data)).toEqual(await expected(t));
  });

  it('a version in the URL runs that version, and TorchScript models serve too', async () => {
    const t = digits(7, 1);
    const r = await server.handle(infer('digits/versions/13', { inputs: [imageInput(t)] }));
    expect(r.status).toBe(200);
    const body = await r.json() as { model_version: string; outputs: { data: number[] }[] };
    expect(body.model_version).toBe('13');
    const want13 = (await (await InferenceSession.create(bytesOf('digits_cnn_opset13.onnx'))).run({ image: t })).logits!.data;
    expect(Float32Array.from(body.outputs[0]!.data)).toEqual(want13);

    const ts = await server.handle(infer('traced', { inputs: [{ ...imageInput(t), name: 'x' }] }));
    expect(ts.status).toBe(200);
    const tsBody = await ts.json() as { outputs: { name: string; data: number[] }[] };
    const want = await expected(t);
    expect(tsBody.outputs[0]!.name).toBe('out');
    tsBody.outputs[0]!.data.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 4));
  });

  it('binary tensor data in, binary out when asked: bytes equal a direct run', async () => {
    const t = digits(10, 4);
    const data = t.data as Float32Array;
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const { body, headers } = binaryBody({
      inputs: [{ name: 'image', shape: [4, 1, 8, 8], datatype: 'FP32', parameters: { binary_data_size: raw.length } }],
      outputs: [{ name: 'logits', parameters: { binary_data: true } }],
    }, raw);
    const r = await server.handle(post('/v2/models/digits/infer', body, headers));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    const length = Number(r.headers.get('inference-header-content-length'));
    const all = new Uint8Array(await r.arrayBuffer());
    const header = JSON.parse(new TextDecoder().decode(all.subarray(0, length))) as { outputs: { name: string; shape: number[]; parameters: { binary_data_size: number }; data?: unknown }[] };
    expect(header.outputs[0]!.parameters.binary_data_size).toBe(4 * 10 * 4);
    expect(header.outputs[0]!.shape).toEqual([4, 10]);
    expect(header.outputs[0]!.data).toBeUndefined();
    expect(all.length).toBe(length + 160);
    expect(new Float32Array(all.slice(length).buffer)).toEqual(await expected(t));
  });

  it('binary input with JSON output, and binary_data_output for every output', async () => {
    const t = digits(20, 1);
    const d = t.data as Float32Array;
    const raw = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    const json = binaryBody({ inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 256 } }] }, raw);
    const r1 = await server.handle(post('/v2/models/digits/infer', json.body, json.headers));
    expect(r1.headers.get('content-type')).toBe('application/json');
    expect(Float32Array.from((await r1.json() as { outputs: { data: number[] }[] }).outputs[0]!.data)).toEqual(await expected(t));
    const bin = binaryBody({ parameters: { binary_data_output: true }, inputs: [{ ...imageInput(t) }] });
    const r2 = await server.handle(post('/v2/models/digits/infer', bin.body, bin.headers));
    const length = Number(r2.headers.get('inference-header-content-length'));
    const all = new Uint8Array(await r2.arrayBuffer());
    expect(new Float32Array(all.slice(length).buffer)).toEqual(await expected(t));
  });

  const bad: [string, unknown, RegExp][] = [
    ['an unknown input name', { inputs: [{ ...imageInput(digits(0, 1)), name: 'pixels' }] }, /'pixels' is not an input/],
    ['a wrong datatype', { inputs: [{ ...imageInput(digits(0, 1)), datatype: 'INT64' }] }, /takes FP32.*sends INT64/],
    ['an unknown datatype', { inputs: [{ ...imageInput(digits(0, 1)), datatype: 'FLOAT' }] }, /datatype "FLOAT"/],
    ['a wrong shape', { inputs: [{ name: 'image', shape: [1, 1, 4, 16], datatype: 'FP32', data: new Array(64).fill(0) }] }, /takes shape \[-1, 1, 8, 8\]/],
    ['data that does not fill the shape', { inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', data: [1, 2, 3] }] }, /holds 3 element/],
    ['a string in FP32 data', { inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', data: ['a', ...new Array(63).fill(0)] }] }, /expected a number/],
    ['no inputs', { inputs: [] }, /non-empty array/],
    ['an unknown output', { inputs: [imageInput(digits(0, 1))], outputs: [{ name: 'probs' }] }, /'probs' is not an output/],
    ['a negative dim', { inputs: [{ name: 'image', shape: [-1, 1, 8, 8], datatype: 'FP32', data: [] }] }, /non-negative/],
  ];
  for (const [what, request, message] of bad) {
    it(`${what} is a 400 naming the problem`, async () => {
      const r = await server.handle(infer('digits', request));
      expect(r.status).toBe(400);
      expect((await r.json() as { error: string }).error).toMatch(message);
    });
  }

  it('malformed JSON, a bad header length and short binary data are 400', async () => {
    const r1 = await server.handle(post('/v2/models/digits/infer', '{"inputs": ['));
    expect(r1.status).toBe(400);
    expect((await r1.json() as { error: string }).error).toMatch(/not valid JSON/);
    const r2 = await server.handle(post('/v2/models/digits/infer', '{}', { 'inference-header-content-length': '99' }));
    expect(r2.status).toBe(400);
    const short = binaryBody({ inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 256 } }] }, new Uint8Array(100));
    const r3 = await server.handle(post('/v2/models/digits/infer', short.body, short.headers));
    expect(r3.status).toBe(400);
    expect((await r3.json() as { error: string }).error).toMatch(/runs past/);
    const wrongSize = binaryBody({ inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 100 } }] }, new Uint8Array(100));
    const r4 = await server.handle(post('/v2/models/digits/infer', wrongSize.body, wrongSize.headers));
    expect(r4.status).toBe(400);
    expect((await r4.json() as { error: string }).error).toMatch(/needs 256/);
  });

  it('an oversized body is 413, by Content-Length or by what arrives; the server keeps serving', async () => {
    const big = new Uint8Array(65 * 1024);
    const r1 = await server.handle(post('/v2/models/digits/infer', big, { 'content-length': String(big.length) }));
    expect(r1.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 100; i++) c.enqueue(new Uint8Array(1024));
        c.close();
      },
    });
    const r2 = await server.handle(new Request(`${base}/v2/models/digits/infer`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
    expect(r2.status).toBe(413);
    expect((await r2.json() as { error: string }).error).toMatch(/over the limit/);
    const ok = await server.handle(infer('digits', { inputs: [imageInput(digits(0, 1))] }));
    expect(ok.status).toBe(200);
  });

  it('the errors are counted by status in /metrics', async () => {
    const r = await server.handle(new Request(`${base}/metrics`));
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/tessera_inference_requests_total\{model="digits",status="200"\} \d+/);
    expect(text).toMatch(/tessera_inference_requests_total\{model="digits",status="400"\} \d+/);
    expect(text).toMatch(/tessera_inference_requests_total\{model="digits",status="413"\} 2/);
    expect(text).toMatch(/tessera_model_ready\{model="digits",version="13"\} 1/);
  });
});

describe('batching, loading and shutdown', () => {
  it('concurrent requests are merged into runs along dim 0 and split back, each equal to its own direct run', async () => {
    const s = createInferenceServer({
      models: [{ name: 'd', load: () => InferenceSession.create(bytesOf('digits_cnn_opset17.onnx')) }], maxBatch: 16, batchDelayMs: 20,
    });
    await s.ready();
    const tensors = Array.from({ length: 24 }, (_, i) => digits(i * 3, 1 + (i % 3)));
    const responses = await Promise.all(tensors.map((t, i) => s.handle(infer('d', { id: String(i), inputs: [imageInput(t)] }))));
    for (const [i, r] of responses.entries()) {
      const body = await r.json() as { id: string; outputs: { shape: number[]; data: number[] }[] };
      expect(body.id).toBe(String(i));
      expect(body.outputs[0]!.shape).toEqual([tensors[i]!.dims[0], 10]);
      const want = await expected(tensors[i]!);
      // A merged run may block its GEMM differently from a run of one request's rows.
      body.outputs[0]!.data.forEach((x, k) => expect(Math.abs(x - want[k]!)).toBeLessThan(1e-5));
    }
    const text = s.metrics();
    const count = Number(/tessera_batch_size_count\{model="d"\} (\d+)/.exec(text)![1]);
    const sum = Number(/tessera_batch_size_sum\{model="d"\} (\d+)/.exec(text)![1]);
    expect(sum).toBe(24);
    expect(count).toBeLessThan(24); // some runs carried more than one request
    await s.close();
  });

  it('a model whose load fails leaves it and the server not ready, and the rest serving', async () => {
    const s = createInferenceServer({
      models: [
        { name: 'good', load: () => InferenceSession.create(bytesOf('digits_cnn_opset17.onnx')) },
        { name: 'broken', load: () => InferenceSession.create(new Uint8Array([1, 2, 3, 4])) },
      ],
    });
    await s.ready();
    expect((await s.handle(new Request(`${base}/v2/health/ready`))).status).toBe(503);
    const ready = await s.handle(new Request(`${base}/v2/models/broken/ready`));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ name: 'broken', ready: false });
    const r = await s.handle(infer('broken', { inputs: [imageInput(digits(0, 1))] }));
    expect(r.status).toBe(503);
    expect((await r.json() as { error: string }).error).toMatch(/failed to load/);
    expect((await s.handle(infer('good', { inputs: [imageInput(digits(0, 1))] }))).status).toBe(200);
    expect(s.metrics()).toMatch(/tessera_model_ready\{model="broken",version=""\} 0/);
    await s.close();
  });

  it('a request past its timeout is 504; close() finishes in-flight requests, then refuses with 503', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const real = await InferenceSession.create(bytesOf('digits_cnn_opset17.onnx'));
    // A session whose runs wait for the gate: the test decides when a run finishes.
    const slow = Object.assign(Object.create(real) as InferenceSession, {
      run: async (...args: Parameters<InferenceSession['run']>) => { await gate; return real.run(...args); },
    });
    const s = createInferenceServer({ models: [{ name: 'slow', load: async () => slow }], timeoutMs: 300, maxBatch: 1 });
    await s.ready();
    const timedOut = await s.handle(infer('slow', { inputs: [imageInput(digits(0, 1))] }));
    expect(timedOut.status).toBe(504);
    expect((await timedOut.json() as { error: string }).error).toMatch(/300 ms timeout/);
    const s2 = createInferenceServer({ models: [{ name: 'slow', load: async () => slow }], timeoutMs: 10_000 });
    await s2.ready();
    const inflight = s2.handle(infer('slow', { inputs: [imageInput(digits(0, 1))] }));
    await new Promise((r) => setTimeout(r, 50));
    const closing = s2.close();
    const refused = await s2.handle(infer('slow', { inputs: [imageInput(digits(0, 1))] }));
    expect(refused.status).toBe(503);
    release();
    expect((await inflight).status).toBe(200);
    await closing;
    await s.close();
  });

  it('maxConcurrency: requests past it wait their turn, and past 4x as many waiting get 503', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let running = 0;
    let most = 0;
    const slow = Object.assign(Object.create(direct) as InferenceSession, {
      run: async (...args: Parameters<InferenceSession['run']>) => {
        most = Math.max(most, ++running);
        await gate;
        running--;
        return direct.run(...args);
      },
    });
    const s = createInferenceServer({ models: [{ name: 'm', load: async () => slow }], maxConcurrency: 1, maxBatch: 1 });
    await s.ready();
    const first = s.handle(infer('m', { inputs: [imageInput(digits(0, 1))] }));
    const waiting = Array.from({ length: 4 }, (_, i) => s.handle(infer('m', { id: String(i), inputs: [imageInput(digits(i, 1))] })));
    await new Promise((r) => setTimeout(r, 50));
    const busy = await s.handle(infer('m', { inputs: [imageInput(digits(0, 1))] }));
    expect(busy.status).toBe(503);
    expect((await busy.json() as { error: string }).error).toMatch(/busy/);
    release();
    expect((await first).status).toBe(200);
    for (const [i, r] of (await Promise.all(waiting)).entries()) {
      const body = await r.json() as { id: string; outputs: { data: number[] }[] };
      expect(body.id).toBe(String(i));
      expect(Float32Array.from(body.outputs[0]!.data)).toEqual(await expected(digits(i, 1)));
    }
    expect(most).toBe(1);
  });

  it('never loads what a request names: an unknown model is 404 and no load() is called for it', async () => {
    let loads = 0;
    const s = createInferenceServer({ models: [{ name: 'm', load: async () => { loads++; return direct; } }] });
    await s.ready();
    const r = await s.handle(infer('..%2F..%2Fetc%2Fpasswd', { inputs: [] }));
    expect(r.status).toBe(404);
    expect(loads).toBe(1);
  });
});
