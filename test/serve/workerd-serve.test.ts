// The Cloudflare Workers example (examples/worker) under the workerd binary from npm: built by its
// own build.mjs, served with its own config.capnp (only the socket moved to a free loopback port),
// and every Open Inference Protocol endpoint exercised with JSON and binary payloads, errors
// included. Inference results must equal a session.run in this process and PyTorch's logits.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A plain ES module of the example (allowJs: untyped); its one export is typed below.
import { buildWorker as buildWorkerJs } from '../../examples/worker/build.mjs';
import {
  DIGITS, DIRECT_ATOL, binaryRequest, digitsReference, get, inferBinary, inferJson, maxAbsDiff, postOversized, root, send, slice, type DigitsReference,
} from './host-client.js';

const buildWorker = buildWorkerJs as (outdir: string) => Promise<string>;

interface Worker { url: string; proc: ChildProcess; log: () => string; dir: string }

/** Builds the example into a temporary folder beside a copy of its config and starts workerd on a free port. */
async function startExample(): Promise<Worker> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-worker-example-'));
  await buildWorker(join(dir, 'build'));
  copyFileSync(join(root, 'examples/worker/config.capnp'), join(dir, 'config.capnp'));
  // Port 0: workerd picks one and reports it on the control descriptor (fd 3) as a JSON line.
  const proc = spawn(join(root, 'node_modules/.bin/workerd'), ['serve', join(dir, 'config.capnp'), '--socket-addr', 'http=127.0.0.1:0', '--control-fd', '3'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (d) => { log += d; });
  proc.stderr!.on('data', (d) => { log += d; });
  const port = await new Promise<number>((resolve, reject) => {
    let control = '';
    const timer = setTimeout(() => reject(new Error(`workerd did not report a port in 30 s:\n${log}`)), 30_000);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`workerd exited (${code}) before listening:\n${log}`)); });
    (proc.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      control += d.toString();
      for (const line of control.split('\n')) {
        const m = /^\s*(\{.*\})\s*$/.exec(line);
        const msg = m === null ? undefined : JSON.parse(m[1]!) as { event?: string; socket?: string; port?: number };
        if (msg?.event === 'listen' && msg.socket === 'http' && typeof msg.port === 'number') { clearTimeout(timer); resolve(msg.port); }
      }
    });
  });
  return { url: `http://127.0.0.1:${port}/`, proc, log: () => log, dir };
}

describe('serve: the Cloudflare Workers example under workerd', () => {
  let worker: Worker;
  let ref: DigitsReference;

  beforeAll(async () => {
    [worker, ref] = await Promise.all([startExample(), digitsReference()]);
  }, 120_000);
  afterAll(() => {
    worker?.proc.kill();
    if (worker !== undefined) rmSync(worker.dir, { recursive: true, force: true });
  });

  /** Adds workerd's log to a failure: the worker's exceptions are only there. */
  const withLog = <T>(p: Promise<T>): Promise<T> => p.catch((e: Error) => { throw new Error(`${e.message}\n--- workerd log ---\n${worker.log()}`); });

  it('answers an inference on a cold isolate (the first request) once the model has loaded', () => withLog((async () => {
    const first = await inferJson(worker.url, slice(ref, 7, 2).images, 'cold');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(maxAbsDiff(first.body.outputs![0]!.data!, slice(ref, 7, 2).pytorch)).toBeLessThan(1e-4);
  })()), 60_000);

  it('answers server live, ready and metadata', () => withLog((async () => {
    const live = await get(worker.url, 'v2/health/live');
    expect(live.status).toBe(200);
    const ready = await get(worker.url, 'v2/health/ready');
    expect(ready.status).toBe(200);
    const meta = await get(worker.url, 'v2');
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ name: expect.any(String), version: expect.any(String), extensions: expect.arrayContaining(['binary_tensor_data']) });
  })()));

  it('answers model metadata and model ready, by name and by version', () => withLog((async () => {
    const meta = await get(worker.url, `v2/models/${DIGITS}`);
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({
      name: DIGITS, versions: ['1'],
      inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, 1, 8, 8] }],
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 10] }],
    });
    expect((await get(worker.url, `v2/models/${DIGITS}/versions/1`)).body).toEqual(meta.body);
    expect((await get(worker.url, `v2/models/${DIGITS}/ready`)).status).toBe(200);
    expect((await get(worker.url, `v2/models/${DIGITS}/versions/1/ready`)).status).toBe(200);
  })()));

  it('infers with JSON tensors: all 360 images as session.run here gives them, and PyTorch within 1e-4', () => withLog((async () => {
    const res = await inferJson(worker.url, ref.images, 'req-json');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ model_name: DIGITS, model_version: '1', id: 'req-json' });
    const out = res.body.outputs!;
    expect(out.map((o) => [o.name, o.datatype, o.shape])).toEqual([['logits', 'FP32', [ref.count, 10]]]);
    expect(maxAbsDiff(Float32Array.from(out[0]!.data!), ref.direct)).toBeLessThanOrEqual(DIRECT_ATOL);
    expect(maxAbsDiff(out[0]!.data!, ref.pytorch)).toBeLessThan(1e-4);
  })()), 60_000);

  it('infers with the binary tensor data extension both ways, as session.run here gives them', () => withLog((async () => {
    const res = await inferBinary(worker.url, ref.images);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.outputs).toMatchObject([{ name: 'logits', datatype: 'FP32', shape: [ref.count, 10], parameters: { binary_data_size: ref.count * 40 } }]);
    expect(res.body.outputs![0]!.data).toBeUndefined();
    expect(maxAbsDiff(res.binary![0]!, ref.direct)).toBeLessThanOrEqual(DIRECT_ATOL);
    expect(maxAbsDiff(res.binary![0]!, ref.pytorch)).toBeLessThan(1e-4);
  })()), 60_000);

  it('answers concurrent requests each with its own rows (no request lost or mixed up)', () => withLog((async () => {
    const jobs = Array.from({ length: 24 }, (_, k) => ({ from: k * 15, n: 1 + (k % 4) }));
    const results = await Promise.all(jobs.map(({ from, n }, k) =>
      k % 2 === 0 ? inferJson(worker.url, slice(ref, from, n).images, `c${k}`) : inferBinary(worker.url, slice(ref, from, n).images)));
    results.forEach((res, k) => {
      const { from, n } = jobs[k]!;
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      if (k % 2 === 0) expect(res.body.id).toBe(`c${k}`);
      const got = k % 2 === 0 ? res.body.outputs![0]!.data! : res.binary![0]!;
      expect(maxAbsDiff(got, slice(ref, from, n).pytorch), `request ${k}`).toBeLessThan(1e-4);
    });
  })()), 60_000);

  it('answers malformed, oversized and mistyped requests with protocol errors and keeps serving', () => withLog((async () => {
    const infer = `v2/models/${DIGITS}/infer`;
    const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const image = (over: Record<string, unknown>) => ({ inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', data: Array.from(slice(ref, 0, 1).images), ...over }] });
    const cases: [string, string, RequestInit, number][] = [
      ['unknown model', 'v2/models/no_such_model/infer', json(image({})), 404],
      ['unknown model metadata', 'v2/models/no_such_model', { method: 'GET' }, 404],
      ['unknown version', `v2/models/${DIGITS}/versions/7/infer`, json(image({})), 404],
      ['unknown path', 'v2/nothing/here', { method: 'GET' }, 404],
      ['body not JSON', infer, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' }, 400],
      ['no inputs', infer, json({}), 400],
      ['wrong datatype', infer, json(image({ datatype: 'INT64', data: Array.from({ length: 64 }, () => 1) })), 400],
      ['unknown datatype', infer, json(image({ datatype: 'FP99' })), 400],
      ['data shorter than its shape', infer, json(image({ data: [1, 2, 3] })), 400],
      ['shape the model refuses', infer, json(image({ shape: [1, 1, 4, 16] })), 400],
      ['unknown input name', infer, json(image({ name: 'picture' })), 400],
      ['unknown requested output', infer, json({ ...image({}), outputs: [{ name: 'probabilities' }] }), 400],
      ['binary header length past the body', infer, {
        method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '100000' }, body: '{"inputs": []}',
      }, 400],
      ['binary data shorter than declared', infer, (() => {
        const r = binaryRequest({ inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', parameters: { binary_data_size: 256 } }] }, [new Uint8Array(100)]);
        return { method: 'POST', headers: r.headers, body: r.body };
      })(), 400],
    ];
    for (const [what, path, init, status] of cases) {
      const res = await send(worker.url, path, init);
      expect(res.status, `${what}: ${JSON.stringify(res.error)}`).toBe(status);
      expect(typeof res.error, `${what}: the body is { "error": string }`).toBe('string');
      expect((res.error as string).length, what).toBeGreaterThan(0);
    }
    const big = await postOversized(new URL(infer, worker.url).href, 9 << 20);
    expect(big.status, `body over maxBodyBytes (8 MiB): ${JSON.stringify(big.error)}`).toBe(413);
    expect(big.error).toMatch(/over the limit/);
    // Still serving, still right.
    const after = await inferJson(worker.url, slice(ref, 100, 3).images);
    expect(after.status).toBe(200);
    expect(maxAbsDiff(after.body.outputs![0]!.data!, slice(ref, 100, 3).pytorch)).toBeLessThan(1e-4);
    expect((await get(worker.url, 'v2/health/ready')).status).toBe(200);
  })()), 60_000);

  it('reports Prometheus metrics of the requests it served', () => withLog((async () => {
    const m = await get(worker.url, 'metrics');
    expect(m.status).toBe(200);
    expect(m.contentType).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/^# (HELP|TYPE) /m);
    expect(m.text).toContain(DIGITS);
  })()));

  it('the example type-checks against tessera\'s source (esbuild only strips types)', async () => {
    const tsc = promisify(execFile)(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'examples/worker')], { cwd: root });
    await expect(tsc.catch((e: { stdout?: string }) => { throw new Error(e.stdout); })).resolves.toBeDefined();
  }, 120_000);
});
