// A small Open Inference Protocol client for the host tests (workerd, Deno, Bun): requests with
// JSON tensors and with the binary tensor data extension, and the digits model's reference
// (a direct session.run in the test process, and PyTorch's logits).

import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor, parseNpy } from '../../src/index.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIGITS = 'digits_cnn_opset17';
const digitsDir = join(root, 'spec-models/digits');
export const digitsModelPath = join(digitsDir, `${DIGITS}.onnx`);

export interface DigitsReference {
  /** 360 images, [360, 1, 8, 8] float32. */
  images: Float32Array;
  count: number;
  /** What a session in this process gives for all images in one run, [360, 10]. */
  direct: Float32Array;
  /** PyTorch's logits (spec-models/digits/test_logits.npy), [360, 10]. */
  pytorch: Float32Array;
}

export async function digitsReference(): Promise<DigitsReference> {
  const images = parseNpy(new Uint8Array(readFileSync(join(digitsDir, 'test_images.npy'))));
  const pytorch = parseNpy(new Uint8Array(readFileSync(join(digitsDir, 'test_logits.npy')))).data as Float32Array;
  const session = await InferenceSession.create(new Uint8Array(readFileSync(digitsModelPath)));
  const { logits } = await session.run({ image: new Tensor('float32', images.data, images.dims) });
  return { images: images.data as Float32Array, count: images.dims[0]!, direct: logits!.data as Float32Array, pytorch };
}

/** Images [from, from + n) of the reference, and the rows of `which` logits for them. */
export function slice(ref: DigitsReference, from: number, n: number): { images: Float32Array; direct: Float32Array; pytorch: Float32Array } {
  return {
    images: ref.images.subarray(from * 64, (from + n) * 64),
    direct: ref.direct.subarray(from * 10, (from + n) * 10),
    pytorch: ref.pytorch.subarray(from * 10, (from + n) * 10),
  };
}

/**
 * How far a served result may be from session.run in this process. Not 0: where V8 has relaxed
 * SIMD (Deno, workerd, Bun; not this Node) the wasm engine takes its fused multiply-add kernels,
 * which round once where Node's round twice (about 4e-6 on these logits, which reach 300).
 */
export const DIRECT_ATOL = 2e-5;

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(worst) ? Infinity : worst;
}

export interface ProtocolOutput { name: string; datatype: string; shape: number[]; data?: number[]; parameters?: Record<string, unknown> }
export interface InferResult { status: number; headers: Headers; body: { model_name?: string; model_version?: string; id?: string; outputs?: ProtocolOutput[]; error?: string }; binary?: Float32Array[] }

/** POST /v2/models/MODEL/infer with JSON tensors; `outputs` asks for logits as JSON. */
export async function inferJson(base: string, images: Float32Array, id?: string, model = DIGITS): Promise<InferResult> {
  const n = images.length / 64;
  const body = {
    ...(id === undefined ? {} : { id }),
    inputs: [{ name: 'image', shape: [n, 1, 8, 8], datatype: 'FP32', data: Array.from(images) }],
    outputs: [{ name: 'logits' }],
  };
  const res = await fetch(new URL(`v2/models/${model}/infer`, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() as InferResult['body'] };
}

/** The binary tensor data extension: a JSON header, then each binary tensor's bytes in order. */
export function binaryRequest(header: unknown, tensors: readonly Uint8Array[]): { headers: Record<string, string>; body: Uint8Array<ArrayBuffer> } {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const total = json.length + tensors.reduce((s, t) => s + t.length, 0);
  const body = new Uint8Array(total);
  body.set(json, 0);
  let at = json.length;
  for (const t of tensors) { body.set(t, at); at += t.length; }
  return { headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) }, body };
}

/** POST infer with the images as binary data and logits asked back as binary data. */
export async function inferBinary(base: string, images: Float32Array, model = DIGITS): Promise<InferResult> {
  const n = images.length / 64;
  const bytes = new Uint8Array(images.buffer, images.byteOffset, images.byteLength);
  const req = binaryRequest({
    inputs: [{ name: 'image', shape: [n, 1, 8, 8], datatype: 'FP32', parameters: { binary_data_size: bytes.length } }],
    outputs: [{ name: 'logits', parameters: { binary_data: true } }],
  }, [bytes]);
  const res = await fetch(new URL(`v2/models/${model}/infer`, base), { method: 'POST', headers: req.headers, body: req.body });
  const raw = new Uint8Array(await res.arrayBuffer());
  const headerLength = res.headers.get('inference-header-content-length');
  if (headerLength === null) return { status: res.status, headers: res.headers, body: JSON.parse(new TextDecoder().decode(raw)) as InferResult['body'] };
  const hl = Number(headerLength);
  const body = JSON.parse(new TextDecoder().decode(raw.subarray(0, hl))) as InferResult['body'];
  const binary: Float32Array[] = [];
  let at = hl;
  for (const o of body.outputs ?? []) {
    const size = o.parameters?.binary_data_size;
    if (typeof size !== 'number') continue;
    binary.push(new Float32Array(raw.slice(at, at + size).buffer));
    at += size;
  }
  if (at !== raw.length) throw new Error(`binary response: ${raw.length - at} bytes after the outputs the header lists`);
  return { status: res.status, headers: res.headers, body, binary };
}

/** GET (or HEAD) a path; the status and the body parsed as JSON where it is JSON. */
export async function get(base: string, path: string): Promise<{ status: number; body: unknown; text: string; contentType: string }> {
  const res = await fetch(new URL(path, base));
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let body: unknown = undefined;
  if (contentType.includes('json')) body = JSON.parse(text);
  return { status: res.status, body, text, contentType };
}

/** Sends `init` to `path` and returns status and error body (protocol errors are `{ error: string }`). */
export async function send(base: string, path: string, init: RequestInit): Promise<{ status: number; error: unknown }> {
  const res = await fetch(new URL(path, base), init);
  const text = await res.text();
  let error: unknown = text;
  try { error = (JSON.parse(text) as { error?: unknown }).error; } catch { /* not JSON: keep the text */ }
  return { status: res.status, error };
}

/**
 * POSTs `size` bytes of JSON whitespace with `Expect: 100-continue`, as curl does for large bodies:
 * a server that refuses the declared length answers before the body is sent. (fetch would send it
 * anyway, and a server that answers 413 and closes mid-upload makes fetch fail with EPIPE.)
 */
export function postOversized(url: string, size: number): Promise<{ status: number; error: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': size, expect: '100-continue' } });
    req.on('continue', () => req.end(new Uint8Array(size).fill(32)));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        let error: unknown = text;
        try { error = (JSON.parse(text) as { error?: unknown }).error; } catch { /* not JSON: keep the text */ }
        req.destroy();
        resolve({ status: res.statusCode ?? 0, error });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
