// tessera's protobuf reader (src/formats/onnx/wire.ts) against protobufjs's Writer, an independent
// encoder: every scalar kind the ONNX schema uses, packed and unpacked, and every prefix of a
// message either decodes or is a ModelFormatError naming a byte, never a RangeError.

import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { ModelFormatError, ResourceLimitError } from '../../src/errors.js';
import { decodeMessage } from '../../src/formats/onnx/wire.js';

const plain = (b: Uint8Array): Uint8Array => Uint8Array.from(b);

interface TensorFields {
  dims: bigint[]; dataType: number; floats: number[]; int32s: number[]; doubles: number[]; uint64s: bigint[];
  name: string; raw: Uint8Array; packed: boolean;
}

function encodeTensor(t: TensorFields): Uint8Array {
  const w = protobuf.Writer.create();
  const int64 = (v: bigint): string => BigInt.asIntN(64, v).toString();
  const uint64 = (v: bigint): string => BigInt.asUintN(64, v).toString();
  if (t.packed) {
    w.uint32((1 << 3) | 2).fork(); for (const d of t.dims) w.int64(int64(d)); w.ldelim();
  } else {
    for (const d of t.dims) w.uint32(1 << 3).int64(int64(d));
  }
  w.uint32(2 << 3).int32(t.dataType);
  if (t.packed) {
    w.uint32((4 << 3) | 2).fork(); for (const x of t.floats) w.float(x); w.ldelim();
    w.uint32((5 << 3) | 2).fork(); for (const x of t.int32s) w.int32(x); w.ldelim();
    w.uint32((10 << 3) | 2).fork(); for (const x of t.doubles) w.double(x); w.ldelim();
    w.uint32((11 << 3) | 2).fork(); for (const x of t.uint64s) w.uint64(uint64(x)); w.ldelim();
  } else {
    for (const x of t.floats) w.uint32((4 << 3) | 5).float(x);
    for (const x of t.int32s) w.uint32(5 << 3).int32(x);
    for (const x of t.doubles) w.uint32((10 << 3) | 1).double(x);
    for (const x of t.uint64s) w.uint32(11 << 3).uint64(uint64(x));
  }
  w.uint32((8 << 3) | 2).string(t.name);
  w.uint32((9 << 3) | 2).bytes(t.raw);
  w.uint32((99 << 3) | 0).int32(7); // an unknown field, skipped
  return plain(w.finish());
}

const tensorArb = fc.record({
  dims: fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { maxLength: 5 }),
  dataType: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  floats: fc.array(fc.float({ noNaN: true }), { maxLength: 6 }),
  int32s: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 6 }),
  doubles: fc.array(fc.double({ noNaN: true }), { maxLength: 6 }),
  uint64s: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 4 }),
  name: fc.string({ maxLength: 12 }),
  raw: fc.uint8Array({ maxLength: 20 }),
  packed: fc.boolean(),
});

describe('the ONNX wire reader', () => {
  it('decodes what protobufjs encodes: int64, int32 (negative: 10-byte varints), float, double, uint64, string, bytes', () => {
    fc.assert(fc.property(tensorArb, (t) => {
      const msg = decodeMessage(encodeTensor(t), 'TensorProto', 'test');
      expect(msg.dims ?? []).toEqual(t.dims);
      expect(msg.data_type).toBe(t.dataType);
      expect(msg.float_data ?? []).toEqual(t.floats.map((x) => Math.fround(x)));
      expect(msg.int32_data ?? []).toEqual(t.int32s);
      expect(msg.double_data ?? []).toEqual(t.doubles);
      expect(msg.uint64_data ?? []).toEqual(t.uint64s);
      expect(msg.name).toBe(t.name);
      expect([...(msg.raw_data as Uint8Array)]).toEqual([...t.raw]);
    }), { numRuns: 300 });
  });

  it('refuses every truncation with a ModelFormatError that names a byte', () => {
    fc.assert(fc.property(tensorArb, fc.nat(), (t, cut) => {
      const bytes = encodeTensor(t);
      const n = cut % bytes.length;
      try {
        decodeMessage(bytes.subarray(0, n), 'TensorProto', 'test');
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFormatError);
        expect((e as Error).message).toMatch(/byte \d+|overruns/);
      }
    }), { numRuns: 300 });
  });

  it('gives only typed errors for arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeMessage(bytes, 'ModelProto', 'test', 8);
      } catch (e) {
        if (!(e instanceof ModelFormatError || e instanceof ResourceLimitError)) throw e;
      }
    }), { numRuns: 2000 });
  });

  it('names the byte of an overlong varint, a truncated varint and a length past the end', () => {
    expect(() => decodeMessage(new Uint8Array([0x10, ...new Array(11).fill(0xff)]), 'TensorProto', 'm.onnx'))
      .toThrow(/m\.onnx: malformed varint at byte 1/);
    expect(() => decodeMessage(new Uint8Array([0x10, 0x80]), 'TensorProto', 'm.onnx')).toThrow(/truncated varint at byte 1/);
    expect(() => decodeMessage(new Uint8Array([0x4a, 0x05, 1, 2]), 'TensorProto', 'm.onnx'))
      .toThrow(/TensorProto\.raw_data declares 5 bytes at byte 2 but only 2 remain/);
    expect(() => decodeMessage(new Uint8Array([0x25, 0, 0]), 'TensorProto', 'm.onnx')).toThrow(/truncated float at byte 1/);
    expect(() => decodeMessage(new Uint8Array([0x51, 0, 0, 0]), 'TensorProto', 'm.onnx')).toThrow(/truncated double at byte 1/);
  });
});
