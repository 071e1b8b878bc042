// CumSum (opset 11) and CumProd (opset 26): inclusive / exclusive, forward / reverse scans.

import { type ScanKind, cumulativeBigInt, cumulativeNumber } from '../../kernels/cumsum.js';
import { normalizeAxis, sizeBetween } from '../../kernels/strides.js';
import { allocate, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { sameAs } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import { allocFloat, floatData, floatTensor, intValues, requiredInput } from '../compute.js';

interface ScanAttrs {
  readonly exclusive: boolean;
  readonly reverse: boolean;
}

const NUMBER_INT_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

type NumberArray = Parameters<typeof cumulativeNumber>[1];

function scan(name: string, kind: ScanKind, x: Tensor, axisT: Tensor | undefined, a: ScanAttrs): Tensor {
  if (axisT === undefined) throw new InvalidNodeError(`${name}: the axis input is required`);
  if (axisT.size !== 1) {
    throw new ShapeError(`${name}: axis must hold one value, got dims [${axisT.dims.join(', ')}]`);
  }
  const rank = x.dims.length;
  const given = intValues(axisT)[0]!;
  const axis = normalizeAxis(given, rank);
  if (axis < 0) throw new InvalidNodeError(`${name}: axis ${given} out of range [${-rank}, ${rank})`);
  const outer = sizeBetween(x.dims, 0, axis);
  const n = x.dims[axis]!;
  const inner = sizeBetween(x.dims, axis + 1, rank);
  if (isFloatType(x.type)) {
    const out = allocFloat(x.type, x.size);
    cumulativeNumber(kind, floatData(x), out, outer, n, inner, a.exclusive, a.reverse);
    return floatTensor(x.type, out, x.dims);
  }
  if (NUMBER_INT_TYPES.has(x.type)) {
    const out = allocate(x.type, x.size) as NumberArray;
    cumulativeNumber(kind, x.data as NumberArray, out, outer, n, inner, a.exclusive, a.reverse);
    return new Tensor(x.type, out, x.dims);
  }
  if (x.type === 'int64' || x.type === 'uint64') {
    const out = allocate(x.type, x.size) as BigInt64Array | BigUint64Array;
    cumulativeBigInt(kind, x.data as BigInt64Array | BigUint64Array, out, outer, n, inner, a.exclusive, a.reverse);
    return new Tensor(x.type, out, x.dims);
  }
  throw new InvalidNodeError(`${name}: unsupported input type ${x.type}`);
}

function scanOp(name: string, kind: ScanKind, since: number): OpDef {
  return op<ScanAttrs>({
    name,
    since,
    parse: (a: Attrs) => Object.freeze({
      exclusive: a.int('exclusive', 0) !== 0,
      reverse: a.int('reverse', 0) !== 0,
    }),
    infer: sameAs(0),
    run: (inputs, a) => [scan(name, kind, requiredInput(inputs[0], name), inputs[1], a)],
  });
}

export const cumsumOps: OpDef[] = [
  scanOp('CumSum', 'sum', 11),
  scanOp('CumProd', 'prod', 26),
];
