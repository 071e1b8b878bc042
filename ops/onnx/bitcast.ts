// BitCast (opset 26): reinterprets each element's bits as another type of the same bit width
// (e.g. float32 <-> int32, float16 <-> int16, int4 <-> uint4 <-> float4e2m1). Shape is unchanged.

import { copyBytes, reinterpretSmallBits } from '../../kernels/bitcast.js';
import { DATA_TYPES, type DataType, type NumericArray, type BigArray, allocate, dataTypeFromOnnx } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { shapeOf, tensorType } from '../infer-helpers.js';
import { type OpDef, op } from '../op-def.js';

interface BitCastAttrs {
  readonly to: DataType;
}

/** Bit width of one element (complex counts both parts). */
function bitWidth(t: DataType): number {
  return DATA_TYPES[t].bytes * 8;
}

const SIGNED_SMALL: ReadonlySet<DataType> = new Set(['int4', 'int2']);

function bitcast(x: Tensor, to: DataType): Tensor {
  if (x.type === 'string' || to === 'string') throw new InvalidNodeError('BitCast: string tensors have no bit pattern');
  if (bitWidth(x.type) !== bitWidth(to)) {
    throw new InvalidNodeError(
      `BitCast: ${x.type} (${bitWidth(x.type)} bits) and ${to} (${bitWidth(to)} bits) differ in width`,
    );
  }
  if (x.type === to) return x;
  const out = allocate(to, x.size) as NumericArray | BigArray;
  const bits = bitWidth(to);
  if (bits < 8) reinterpretSmallBits(x.data as Int8Array | Uint8Array, bits, SIGNED_SMALL.has(to), out as Int8Array | Uint8Array);
  else copyBytes(x.data as NumericArray | BigArray, out);
  return new Tensor(to, out, x.dims);
}

export const bitcastOps: OpDef[] = [
  op<BitCastAttrs>({
    name: 'BitCast',
    since: 26,
    parse: (a) => {
      const code = a.int('to');
      const to = dataTypeFromOnnx(code);
      if (to === undefined) throw new InvalidNodeError(`BitCast: unknown target type code ${code}`);
      return Object.freeze({ to });
    },
    run: (inputs, attrs) => {
      const x = inputs[0];
      if (x === undefined) throw new InvalidNodeError('BitCast: input is required');
      return [bitcast(x, attrs.to)];
    },
    infer: ([x], attrs) => [tensorType(attrs.to, shapeOf(x))],
  }),
];
