// safetensors: round trips, a file spelled out byte by byte from the format description, and
// the validation rules (header JSON, no overlaps or gaps, offsets inside the file).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelFormatError, TesseraError } from '../../src/errors.js';
import { stateDict, torchLoad } from '../../src/formats/pickle/index.js';
import { readSafetensors, writeSafetensors } from '../../src/formats/safetensors/index.js';
import { Tensor } from '../../src/tensor.js';

const enc = new TextEncoder();
function file(header: string, data: number[] = []): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const bytesOf = (t: Tensor): number[] => {
  const d = t.data as ArrayBufferView;
  return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
};

describe('safetensors', () => {
  it('reads a file spelled out from the format description', () => {
    const f = file('{"__metadata__":{"format":"pt"},"b":{"dtype":"I16","shape":[],"data_offsets":[4,6]},' +
      '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  ', [0, 0, 0xc0, 0x3f, 0xfe, 0xff]);
    const { tensors, metadata } = readSafetensors(f);
    expect([...tensors.keys()]).toEqual(['a', 'b']);
    expect([...(tensors.get('a')!.data as Float32Array)]).toEqual([1.5]);
    expect(tensors.get('b')!.dims).toEqual([]);
    expect([...(tensors.get('b')!.data as Int16Array)]).toEqual([-2]);
    expect(metadata.get('format')).toBe('pt');
  });

  it('writes the layout the format prescribes (8-byte aligned header, offsets in order)', () => {
    const out = writeSafetensors([['x', new Tensor('float32', [1, 2], [2])], ['y', new Tensor('uint8', [7], [1])]]);
    const n = new DataView(out.buffer).getUint32(0, true);
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(out.subarray(8, 8 + n)));
    expect(header).toEqual({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'U8', shape: [1], data_offsets: [8, 9] } });
    expect(out.length).toBe(8 + n + 9);
  });

  it('round-trips every fixture tensor bit-exactly, including bf16/f16/int64/bool and __proto__ names', () => {
    const sd = stateDict(torchLoad(new Uint8Array(readFileSync(join(import.meta.dirname, '../../spec-models/pickle/dtypes.pt')))));
    sd.delete('complex128');
    sd.set('__proto__', new Tensor('float32', [1], [1]));
    const back = readSafetensors(writeSafetensors(sd, [['k', 'v']]));
    expect([...back.tensors.keys()].sort()).toEqual([...sd.keys()].sort());
    for (const [k, t] of sd) {
      const u = back.tensors.get(k)!;
      expect(u.type).toBe(t.type);
      expect(u.dims).toEqual(t.dims);
      expect(bytesOf(u)).toEqual(bytesOf(t));
    }
  });

  it('round-trips random tensors (property)', () => {
    const types = ['float32', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool', 'float16', 'bfloat16'] as const;
    const tensor = fc.tuple(fc.constantFrom(...types), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.uint8Array({ maxLength: 512 }))
      .map(([type, dims, seed]) => {
        const n = dims.reduce((a, b) => a * b, 1);
        const t = Tensor.zeros(type, dims);
        const d = t.data as ArrayBufferView;
        const raw = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
        for (let i = 0; i < raw.length; i++) raw[i] = seed.length ? seed[i % seed.length]! : 0;
        if (type === 'bool') for (let i = 0; i < n; i++) raw[i] = raw[i]! & 1;
        return t;
      });
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), tensor), { selector: (x) => x[0], maxLength: 6 }), (entries) => {
      const ok = entries.filter(([k]) => k !== '__metadata__');
      const back = readSafetensors(writeSafetensors(ok));
      expect(back.tensors.size).toBe(ok.length);
      for (const [k, t] of ok) expect(bytesOf(back.tensors.get(k)!)).toEqual(bytesOf(t));
    }), { numRuns: 200 });
  });

  const BAD: Array<[string, Uint8Array, RegExp]> = [
    ['too short', new Uint8Array(4), /too short/],
    ['header length past the end', file('{}').map((b, i) => (i === 0 ? 200 : b)), /header claims 200 bytes/],
    ['header length over 100 MB', (() => { const f = file('{}'); new DataView(f.buffer).setUint32(4, 1, true); return f; })(), /exceeds 100000000/],
    ['not JSON', file('{nope'), /not JSON/],
    ['not an object', file('[1]'), /does not start with|not a JSON object/],
    ['unknown dtype', file('{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', new Array(16).fill(0)), /unsupported dtype "F128"/],
    ['size mismatch', file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /needs 8 bytes, data_offsets give 4/],
    ['overlap', file('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', [1, 2, 3]), /overlap/],
    ['gap', file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}', [1, 2, 3]), /gap/],
    ['offsets past the end', file('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', [1, 2]), /cover 4 byte\(s\) but the buffer holds 2/],
    ['trailing bytes', file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1, 2]), /cover 1 byte\(s\) but the buffer holds 2/],
    ['reversed offsets', file('{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}', [1]), /bad data_offsets/],
    ['negative dim', file('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'), /bad shape/],
    ['metadata not strings', file('{"__metadata__":{"a":1}}'), /not a string/],
    ['extra field', file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}', [1]), /unknown field/],
    ['invalid UTF-8', file('{"\xff":1}').map((b, i) => (i === 10 ? 0xff : b)), /UTF-8/],
  ];
  for (const [name, bytes, re] of BAD) {
    it(`refuses: ${name}`, () => {
      expect(() => readSafetensors(bytes)).toThrow(ModelFormatError);
      expect(() => readSafetensors(bytes)).toThrow(re);
    });
  }

  it('mutated files only ever raise typed errors', () => {
    const base = writeSafetensors([['a', new Tensor('float32', [1, 2, 3], [3])], ['b', new Tensor('int64', [5n], [1])]]);
    fc.assert(fc.property(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: base.length }), (at, v, cut) => {
      const m = base.slice(0, Math.max(cut, at + 1));
      m[at] = v;
      try { readSafetensors(m); } catch (e) { expect(e).toBeInstanceOf(TesseraError); }
    }), { numRuns: 500 });
  });
});
