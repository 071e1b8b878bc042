// Every datatype the protocol spells (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES)
// through the handler, on an ONNX model of Identity nodes: JSON and binary tensors come back as
// sent, merged runs split back per request, out-of-range values are 400. And the tensor codec
// (src/serve/tensors.ts) round-trips random tensors of every type, binary and JSON.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../src/api/session.js';
import type { DataType } from '../../src/dtypes.js';
import { Tensor } from '../../src/tensor.js';
import { createInferenceServer } from '../../src/serve/handler.js';
import { dataTypeOfProtocol, tensorFromBinary, tensorFromJson, tensorToBinary, tensorToJsonText } from '../../src/serve/tensors.js';
import { writeModel } from '../helpers/onnx-writer.js';
import { concatBytes } from '../../src/bytes.js';

/** Protocol name, ONNX elem type, and two rows of sample values (JSON form). */
const TYPES: [string, number, unknown[]][] = [
  ['BOOL', 9, [true, false, false, true]],
  ['UINT8', 2, [0, 255, 7, 128]],
  ['INT8', 3, [-128, 127, 0, -1]],
  ['UINT16', 4, [0, 65535, 300, 1]],
  ['INT16', 5, [-32768, 32767, 5, -5]],
  ['INT32', 6, [-2147483648, 2147483647, 0, 42]],
  ['UINT32', 12, [0, 4294967295, 1, 2]],
  ['INT64', 7, ['-9223372036854775808', '9223372036854775807', 9007199254740991, -3]],
  ['UINT64', 13, ['18446744073709551615', 0, 1, '9007199254740993']],
  ['FP16', 10, [0.5, -2, 65504, 0.333251953125]],
  ['FP32', 1, [0.1, -1e30, 3.5, 0]],
  ['FP64', 11, [0.1, -1e300, Math.PI, 5e-324]],
  ['BYTES', 8, ['', 'héllo', 'a"b\\c', '\u0000x']],
];
const name = (p: string) => p.toLowerCase();

const model = writeModel({
  graph: {
    nodes: TYPES.map(([p]) => ({ op: 'Identity', inputs: [`in_${name(p)}`], outputs: [`out_${name(p)}`] })),
    inputs: TYPES.map(([p, e]) => ({ name: `in_${name(p)}`, elemType: e, shape: ['n', 2] })),
    outputs: TYPES.map(([p, e]) => ({ name: `out_${name(p)}`, elemType: e, shape: ['n', 2] })),
  },
});

const base = 'http://tessera.test';
const infer = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request(`${base}/v2/models/id/infer`, { method: 'POST', body, headers });

/** What JSON output data is for the sample (64-bit integers as numbers, written exactly). */
const asOutput = (p: string, v: unknown): unknown => (p === 'INT64' || p === 'UINT64' ? BigInt(v as string | number) : v);

describe('every protocol datatype through the handler', () => {
  it('metadata names each type as the protocol spells it', async () => {
    const server = createInferenceServer({ models: [{ name: 'id', load: () => InferenceSession.create(model) }] });
    await server.ready();
    const meta = await (await server.handle(new Request(`${base}/v2/models/id`))).json() as { inputs: { name: string; datatype: string; shape: number[] }[] };
    expect(meta.inputs.map((i) => i.datatype)).toEqual(TYPES.map(([p]) => p));
    expect(meta.inputs[0]!.shape).toEqual([-1, 2]);
    await server.close();
  });

  it('JSON in, JSON out: values come back as sent, 64-bit integers exactly', async () => {
    const server = createInferenceServer({ models: [{ name: 'id', load: () => InferenceSession.create(model) }] });
    await server.ready();
    const r = await server.handle(infer(JSON.stringify({
      inputs: TYPES.map(([p, , data]) => ({ name: `in_${name(p)}`, shape: [2, 2], datatype: p, data })),
    })));
    expect(r.status).toBe(200);
    // Parsed by hand so that 64-bit integers keep every digit.
    const text = await r.text();
    for (const [p, , data] of TYPES) {
      const m = new RegExp(`"name":"out_${name(p)}","datatype":"${p}","shape":\\[2,2\\],"data":(\\[[^\\]]*\\])`).exec(text);
      expect(m, p).not.toBeNull();
      if (p === 'INT64' || p === 'UINT64') {
        expect(m![1]!.slice(1, -1).split(',').map(BigInt), p).toEqual(data.map((v) => asOutput(p, v)));
      } else if (p === 'FP32') {
        expect(JSON.parse(m![1]!), p).toEqual(Array.from(Float32Array.from(data as number[])));
      } else {
        expect(JSON.parse(m![1]!), p).toEqual(data);
      }
    }
    await server.close();
  });

  it('binary in, binary out: the bytes come back as sent', async () => {
    const server = createInferenceServer({ models: [{ name: 'id', load: () => InferenceSession.create(model) }] });
    await server.ready();
    const blobs = TYPES.map(([p, , data]) => tensorToBinary(tensorFromJson(dataTypeOfProtocol(p)!, [2, 2], data, p)));
    const header = new TextEncoder().encode(JSON.stringify({
      inputs: TYPES.map(([p], i) => ({ name: `in_${name(p)}`, shape: [2, 2], datatype: p, parameters: { binary_data_size: blobs[i]!.length } })),
      parameters: { binary_data_output: true },
    }));
    const body = concatBytes([header, ...blobs]) as Uint8Array<ArrayBuffer>;
    const r = await server.handle(infer(body, { 'inference-header-content-length': String(header.length) }));
    expect(r.status).toBe(200);
    const all = new Uint8Array(await r.arrayBuffer());
    const length = Number(r.headers.get('inference-header-content-length'));
    const head = JSON.parse(new TextDecoder().decode(all.subarray(0, length))) as { outputs: { name: string; parameters: { binary_data_size: number } }[] };
    let at = length;
    head.outputs.forEach((o, i) => {
      const size = o.parameters.binary_data_size;
      expect(o.name).toBe(`out_${name(TYPES[i]![0])}`);
      expect(all.slice(at, at + size), o.name).toEqual(blobs[i]!.slice());
      at += size;
    });
    expect(at).toBe(all.length);
    await server.close();
  });

  it('concurrent requests of every type are merged and split back, each its own', async () => {
    const server = createInferenceServer({ models: [{ name: 'id', load: () => InferenceSession.create(model) }], maxBatch: 64, batchDelayMs: 10 });
    await server.ready();
    const request = (k: number) => ({
      id: String(k),
      inputs: TYPES.map(([p, , data]) => ({ name: `in_${name(p)}`, shape: [1, 2], datatype: p, data: data.slice(k % 2 * 2, k % 2 * 2 + 2) })),
    });
    const responses = await Promise.all(Array.from({ length: 12 }, (_, k) => server.handle(infer(JSON.stringify(request(k))))));
    for (const [k, r] of responses.entries()) {
      const text = await r.text();
      expect(text).toContain(`"id":"${k}"`);
      const strings = /"name":"out_bytes","datatype":"BYTES","shape":\[1,2\],"data":(\[[^\]]*\])/.exec(text)![1]!;
      expect(JSON.parse(strings)).toEqual(TYPES.at(-1)![2].slice(k % 2 * 2, k % 2 * 2 + 2));
      const u64 = /"name":"out_uint64","datatype":"UINT64","shape":\[1,2\],"data":\[([^\]]*)\]/.exec(text)![1]!;
      expect(u64.split(',').map(BigInt)).toEqual(TYPES[8]![2].slice(k % 2 * 2, k % 2 * 2 + 2).map((v) => BigInt(v as string)));
    }
    expect(server.metrics()).toMatch(/tessera_batch_size_sum\{model="id"\} 12/);
    expect(Number(/tessera_batch_size_count\{model="id"\} (\d+)/.exec(server.metrics())![1])).toBeLessThan(12);
    await server.close();
  });

  const bad: [string, unknown[], RegExp][] = [
    ['UINT8', [256, 0, 0, 0], /out of range/],
    ['INT8', [-129, 0, 0, 0], /out of range/],
    ['INT32', [1.5, 0, 0, 0], /expected an integer/],
    ['INT64', ['abc', 0, 0, 0], /expected an integer/],
    ['INT64', ['9223372036854775808', 0, 0, 0], /out of range/],
    ['UINT64', [-1, 0, 0, 0], /out of range/],
    ['BOOL', [2, 0, 0, 0], /true or false/],
    ['BYTES', [1, 'a', 'b', 'c'], /expected a string/],
    ['FP64', [null, 0, 0, 0], /expected a number/],
  ];
  for (const [p, data, message] of bad) {
    it(`${p} data ${JSON.stringify(data[0])} is a 400`, async () => {
      const server = createInferenceServer({ models: [{ name: 'id', load: () => InferenceSession.create(model) }] });
      await server.ready();
      const inputs = TYPES.map(([q, , sample]) => ({ name: `in_${name(q)}`, shape: [2, 2], datatype: q, data: q === p ? data : sample }));
      const r = await server.handle(infer(JSON.stringify({ inputs })));
      expect(r.status).toBe(400);
      expect((await r.json() as { error: string }).error).toMatch(message);
      await server.close();
    });
  }
});

describe('the tensor codec', () => {
  const KINDS: DataType[] = ['bool', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'float16', 'float32', 'float64', 'string'];
  const element = (t: DataType): fc.Arbitrary<unknown> => {
    switch (t) {
      case 'bool': return fc.boolean();
      case 'uint8': return fc.integer({ min: 0, max: 255 });
      case 'int8': return fc.integer({ min: -128, max: 127 });
      case 'uint16': return fc.integer({ min: 0, max: 65535 });
      case 'int16': return fc.integer({ min: -32768, max: 32767 });
      case 'int32': return fc.integer();
      case 'uint32': return fc.integer({ min: 0, max: 2 ** 32 - 1 });
      case 'int64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
      case 'uint64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
      case 'float16': return fc.constantFrom(0, 1, -2, 0.5, 65504, -65504, 6.103515625e-5, 1e-7);
      case 'float32': return fc.float({ noNaN: true, noDefaultInfinity: true });
      case 'float64': return fc.double({ noNaN: true, noDefaultInfinity: true });
      default: return fc.string({ unit: 'grapheme' });
    }
  };
  const tensors = fc.constantFrom(...KINDS).chain((type) => fc.tuple(fc.constant(type), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
    .chain(([t, a, b]) => fc.tuple(fc.constant(t), fc.constant([a, b]), fc.array(element(t), { minLength: a * b, maxLength: a * b }))));

  it('binary: tensorFromBinary(tensorToBinary(t)) is t, for every type, empty dims included', () => {
    fc.assert(fc.property(tensors, ([type, shape, data]) => {
      const t = tensorFromJson(type, shape, data, 'x');
      const back = tensorFromBinary(type, shape, tensorToBinary(t).slice(), 'x');
      expect(back.type).toBe(type);
      expect(back.dims).toEqual(shape);
      expect(back.data).toEqual(t.data);
    }), { numRuns: 300 });
  });

  it('JSON: tensorFromJson(tensorToJsonText(t)) is t (64-bit integers exact, -0 aside)', () => {
    fc.assert(fc.property(tensors, ([type, shape, data]) => {
      const t = tensorFromJson(type, shape, data, 'x');
      // JSON.parse would round 64-bit integers: read them as strings, as a careful client does.
      const text = tensorToJsonText(t);
      const parsed = type === 'int64' || type === 'uint64' ? (text === '[]' ? [] : text.slice(1, -1).split(',')) : JSON.parse(text) as unknown[];
      const back = tensorFromJson(type, shape, parsed, 'x');
      if (type.startsWith('float')) expect(Array.from(back.data as Float32Array, (x) => x + 0)).toEqual(Array.from(t.data as Float32Array, (x) => x + 0));
      else expect(back.data).toEqual(t.data);
    }), { numRuns: 300 });
  });

  it('NaN and infinities go out as null in JSON (JSON has no such numbers)', () => {
    expect(tensorToJsonText(new Tensor('float32', [NaN, Infinity, -Infinity, 1], [4]))).toBe('[null,null,null,1]');
  });
});
