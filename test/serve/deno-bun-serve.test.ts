// The same Open Inference Protocol handler hosted by Deno.serve and Bun.serve (src/serve/deno.ts,
// bun.ts) from the built package: health, metadata, an infer request with JSON tensors and one
// with binary tensor data on the digits model (equal to session.run in this process, within 1e-4
// of PyTorch), protocol errors, merged concurrent requests, and a graceful shutdown on SIGTERM
// (requests in flight finish, then the process exits 0).

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIGITS, DIRECT_ATOL, digitsReference, get, inferBinary, inferJson, maxAbsDiff, postOversized, root, send, slice, type DigitsReference,
} from './host-client.js';

const bin = (name: string) => join(root, 'node_modules/.bin', name);
const script = join(root, 'test/serve/host-run.mjs');
const hosts: [string, string, string[]][] = [
  ['deno', bin('deno'), ['run', '--allow-read', '--allow-net', '--allow-env', script]],
  ['bun', bin('bun'), ['run', script]],
];

interface Host { proc: ChildProcess; url: string; lines: string[]; log: () => string; exited: Promise<number | null> }

async function start(exe: string, args: string[]): Promise<Host> {
  const proc = spawn(exe, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port in 60 s:\n${out}${err}`)), 60_000);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`exited (${code}) before listening:\n${out}${err}`)); });
    proc.stderr!.on('data', (d) => { err += d; });
    proc.stdout!.on('data', (d) => {
      out += d;
      const all = out.split('\n');
      out = all.pop()!;
      for (const line of all) {
        lines.push(line);
        const msg = JSON.parse(line) as { port?: number };
        if (typeof msg.port === 'number') { clearTimeout(timer); resolve(msg.port); }
      }
    });
  });
  return { proc, url: `http://127.0.0.1:${port}/`, lines, log: () => `${lines.join('\n')}\n${out}${err}`, exited };
}

for (const [name, exe, args] of hosts) {
  describe(`serve: the handler hosted by ${name}`, () => {
    let host: Host;
    let ref: DigitsReference;
    beforeAll(async () => { [host, ref] = await Promise.all([start(exe, args), digitsReference()]); }, 120_000);
    afterAll(() => { if (host?.proc.exitCode === null) host.proc.kill('SIGKILL'); });

    const withLog = <T>(p: Promise<T>): Promise<T> => p.catch((e: Error) => { throw new Error(`${e.message}\n--- ${name} output ---\n${host.log()}`); });

    it('answers live, ready and model metadata', () => withLog((async () => {
      expect((await get(host.url, 'v2/health/live')).status).toBe(200);
      // The host listens at once and loads the model beside it: ready follows, as a readiness probe sees it.
      for (let tries = 0; (await get(host.url, 'v2/health/ready')).status !== 200; tries++) {
        if (tries > 300) throw new Error('not ready after 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const meta = await get(host.url, `v2/models/${DIGITS}`);
      expect(meta.body).toMatchObject({ name: DIGITS, inputs: [{ name: 'image', datatype: 'FP32' }], outputs: [{ name: 'logits', datatype: 'FP32' }] });
    })()));

    it('infers the digits model with JSON and with binary tensor data, as session.run here gives them', () => withLog((async () => {
      const json = await inferJson(host.url, ref.images, `${name}-1`);
      expect(json.status, JSON.stringify(json.body)).toBe(200);
      expect(json.body).toMatchObject({ model_name: DIGITS, id: `${name}-1`, outputs: [{ name: 'logits', datatype: 'FP32', shape: [ref.count, 10] }] });
      expect(maxAbsDiff(Float32Array.from(json.body.outputs![0]!.data!), ref.direct)).toBeLessThanOrEqual(DIRECT_ATOL);
      expect(maxAbsDiff(json.body.outputs![0]!.data!, ref.pytorch)).toBeLessThan(1e-4);
      const part = slice(ref, 40, 7);
      const binary = await inferBinary(host.url, part.images);
      expect(binary.status, JSON.stringify(binary.body)).toBe(200);
      expect(maxAbsDiff(binary.binary![0]!, part.direct)).toBeLessThanOrEqual(DIRECT_ATOL);
      expect(maxAbsDiff(binary.binary![0]!, part.pytorch)).toBeLessThan(1e-4);
    })()), 60_000);

    it('answers a request over maxBodyBytes with 413 and keeps serving', () => withLog((async () => {
      const big = await postOversized(new URL(`v2/models/${DIGITS}/infer`, host.url).href, 2 << 20);
      expect(big.status).toBe(413);
      expect(typeof big.error).toBe('string');
      const bad = await send(host.url, `v2/models/${DIGITS}/infer`, { method: 'POST', body: '{"inputs": [{"name": "image", "shape": [1], "datatype": "FP32", "data": [1, 2]}]}' });
      expect(bad.status).toBe(400);
      expect((await inferJson(host.url, slice(ref, 0, 1).images)).status).toBe(200);
    })()), 60_000);

    it('merges concurrent requests into one run (the batch size metric)', () => withLog((async () => {
      const jobs = [0, 1, 2, 3].map((k) => slice(ref, 50 + 10 * k, 1 + k));
      const results = await Promise.all(jobs.map((j, k) => inferJson(host.url, j.images, `m${k}`)));
      results.forEach((r, k) => {
        expect(r.body.id).toBe(`m${k}`);
        expect(maxAbsDiff(r.body.outputs![0]!.data!, jobs[k]!.pytorch)).toBeLessThan(1e-4);
      });
      // Some run took more than one request: fewer runs of size <= 1 than runs.
      const text = (await get(host.url, 'metrics')).text;
      const ones = Number(/^tessera_batch_size_bucket\{[^}]*le="1"\} (\d+)$/m.exec(text)?.[1]);
      const runs = Number(/^tessera_batch_size_count\{[^}]*\} (\d+)$/m.exec(text)?.[1]);
      expect(ones, text).toBeLessThan(runs);
    })()), 60_000);

    it('drains on SIGTERM: the requests in flight finish with 200, then the process exits 0 by itself', () => withLog((async () => {
      const jobs = [0, 1, 2, 3, 4, 5].map((k) => slice(ref, 200 + 20 * k, 2 + k));
      const pending = jobs.map((j, k) => inferJson(host.url, j.images, `d${k}`));
      // Every request has arrived and waits for its merged run (batchDelayMs 500 in host-run.mjs).
      for (let tries = 0; ; tries++) {
        const text = (await get(host.url, 'metrics')).text;
        if (/^tessera_inflight_requests 6$/m.test(text)) break;
        if (tries > 200) throw new Error(`the six requests never were in flight together:\n${text}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      host.proc.kill('SIGTERM');
      const results = await Promise.all(pending);
      results.forEach((r, k) => {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(maxAbsDiff(r.body.outputs![0]!.data!, jobs[k]!.pytorch)).toBeLessThan(1e-4);
      });
      const code = await Promise.race([host.exited, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
      expect(code).toBe(0);
      expect(host.lines.map((l) => JSON.parse(l) as { shutdown?: boolean }).some((m) => m.shutdown === true)).toBe(true);
    })()), 30_000);
  });
}
