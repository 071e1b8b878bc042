import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/tensor.js';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  bfloat16BitsToNumber, float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits,
} from '../../kernels/float16.js';
import { broadcastIndexMap, broadcastShapes } from '../../kernels/broadcast.js';
import { contiguousStrides } from '../../kernels/strides.js';

describe('Tensor', () => {
  it('is shaped like onnxruntime-web: type, data, dims', () => {
    const t = new Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(t.type).toBe('float32');
    expect(t.dims).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(new Tensor(new Int32Array([1, 2])).type).toBe('int32');
    expect(new Tensor('int64', [1, 2], [2]).data).toBeInstanceOf(BigInt64Array);
    expect(new Tensor('bool', [true, false], [2]).data).toEqual(new Uint8Array([1, 0]));
    expect(new Tensor('string', ['a', 'b'], [2, 1]).dims).toEqual([2, 1]);
    expect(new Tensor('complex64', new Float32Array(4), [2]).size).toBe(2);
    expect(new Tensor('float32', new Float32Array(0), [0, 5]).size).toBe(0);
    expect(new Tensor('float32', [7], []).dims).toEqual([]);
  });

  it('refuses data that does not fit the dims or the type', () => {
    expect(() => new Tensor('float32', new Float32Array(5), [2, 3])).toThrow(InvalidArgumentError);
    expect(() => new Tensor('float32', new Int32Array(6), [2, 3])).toThrow(/does not fit element type 'float32'/);
    expect(() => new Tensor('float32', new Float32Array(1), [-1])).toThrow(/invalid dimension/);
    expect(() => new Tensor('nope' as 'float32', [1])).toThrow(/unknown element type/);
  });
});

describe('float16 / bfloat16 conversions', () => {
  it('binary16: every bit pattern round-trips exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = float16BitsToNumber(h);
      if (Number.isNaN(v)) expect(Number.isNaN(float16BitsToNumber(numberToFloat16Bits(v)))).toBe(true);
      else expect(numberToFloat16Bits(v)).toBe(h);
    }
  });

  it('binary16: rounds float32 values to the nearest half, ties to even', () => {
    const MAX = 65504;
    fc.assert(fc.property(fc.float({ noNaN: true, min: -70000, max: 70000 }), (x) => {
      const h = numberToFloat16Bits(x);
      const v = float16BitsToNumber(h);
      if (Math.abs(x) >= MAX + 16) { expect(Math.abs(v)).toBe(Infinity); return; }
      // No representable neighbour is strictly closer; on a tie the chosen one is even.
      for (const n of [h - 1, h + 1]) {
        if (n < 0 || n > 0xffff || ((n ^ h) & 0x8000)) continue;
        const w = float16BitsToNumber(n);
        if (!Number.isFinite(w)) continue;
        const dv = Math.abs(v - x);
        const dw = Math.abs(w - x);
        expect(dv <= dw).toBe(true);
        if (dv === dw && dv !== 0) expect(h & 1).toBe(0);
      }
    }), { numRuns: 2000 });
  });

  it('bfloat16: round-trips every pattern and rounds to nearest even', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = bfloat16BitsToNumber(b);
      if (!Number.isNaN(v)) expect(numberToBfloat16Bits(v)).toBe(b);
    }
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const b = numberToBfloat16Bits(x);
      const v = bfloat16BitsToNumber(b);
      for (const n of [b - 1, b + 1]) {
        if (n < 0 || n > 0xffff || ((n ^ b) & 0x8000)) continue;
        const w = bfloat16BitsToNumber(n);
        if (!Number.isFinite(w) || !Number.isFinite(v)) continue;
        expect(Math.abs(v - x) <= Math.abs(w - x)).toBe(true);
      }
    }), { numRuns: 2000 });
    expect(Number.isNaN(bfloat16BitsToNumber(numberToBfloat16Bits(NaN)))).toBe(true);
  });
});

describe('broadcasting and strides', () => {
  it('broadcastShapes follows numpy', () => {
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(broadcastShapes([], [5])).toEqual([5]);
    expect(broadcastShapes([0, 3], [1, 3])).toEqual([0, 3]);
    expect(broadcastShapes([2], [3])).toBeNull();
  });

  it('broadcastIndexMap reads each output element from the right input element', () => {
    const shape = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 });
    fc.assert(fc.property(shape, fc.array(fc.boolean(), { maxLength: 4 }), (out, ones) => {
      const dims = out.map((d, i) => (ones[i] ? 1 : d));
      const map = broadcastIndexMap(dims, out);
      const os = contiguousStrides(out);
      const is = contiguousStrides(dims);
      for (let flat = 0; flat < map.length; flat++) {
        let rem = flat;
        let expected = 0;
        for (let d = 0; d < out.length; d++) {
          const idx = Math.floor(rem / os[d]!);
          rem %= os[d]!;
          expected += (dims[d] === 1 ? 0 : idx) * is[d]!;
        }
        expect(map[flat]).toBe(expected);
      }
    }), { numRuns: 300 });
  });
});

describe('Tensor.toNumbers', () => {
  it('decodes halves and int64 instead of returning storage bits', () => {
    expect(new Tensor('float16', new Uint16Array([0x3c00, 0xc000]), [2]).toNumbers()).toEqual([1, -2]);
    expect(new Tensor('bfloat16', new Uint16Array([0x3f80]), [1]).toNumbers()).toEqual([1]);
    expect(new Tensor('int64', new BigInt64Array([-3n]), [1]).toNumbers()).toEqual([-3]);
  });
});
