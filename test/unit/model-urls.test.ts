// A model given as a URL in Node (issue 13): a URL object or a file: / http(s): string, read from
// disk or over fetch; errors stay typed. Before, a URL was opened as a file name (ENOENT).

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node.js';
import { InferenceSession, InvalidArgumentError, Tensor } from '../../src/index.js';

const MODEL = new URL('../../spec-models/digits/digits_cnn_opset17.onnx', import.meta.url);
const bytes = readFileSync(MODEL);
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/digits.onnx') {
      res.writeHead(200, { 'content-length': String(bytes.length) });
      res.end(bytes);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const image = new Tensor('float32', new Float32Array(64).map((_, i) => (i % 7) / 7), [1, 1, 8, 8]);

async function logits(source: string | URL | Uint8Array): Promise<number[]> {
  const s = await InferenceSession.create(source);
  const out = await s.run({ [s.inputNames[0]!]: image });
  return Array.from(out[s.outputNames[0]!]!.data as Float32Array);
}

describe('InferenceSession.create with a URL', () => {
  it('a file: URL (object or string) and an http URL give the same model as the bytes', async () => {
    const want = await logits(new Uint8Array(bytes));
    expect(await logits(MODEL)).toEqual(want);
    expect(await logits(pathToFileURL(MODEL.pathname).href)).toEqual(want);
    expect(await logits(`${base}/digits.onnx`)).toEqual(want);
    expect(await logits(new URL('/digits.onnx', base))).toEqual(want);
  });

  it('a URL that cannot be read is a typed error naming it', async () => {
    await expect(InferenceSession.create(`${base}/missing.onnx`)).rejects.toThrow(InvalidArgumentError);
    await expect(InferenceSession.create(`${base}/missing.onnx`)).rejects.toThrow(/missing\.onnx.*HTTP 404/);
    await expect(InferenceSession.create(new URL('file:///no/such/model.onnx'))).rejects.toThrow(/'\/no\/such\/model\.onnx' was not found/);
    await expect(InferenceSession.create('file://host/share/model.onnx')).rejects.toThrow(InvalidArgumentError);
  });
});
