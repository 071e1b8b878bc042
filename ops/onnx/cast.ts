// Cast and CastLike: element type conversion. Opset 1 names the target type as a string,
// opset 6 as a TensorProto.DataType code; opset 19 adds `saturate` (float8 targets) and
// opset 25 `round_mode` (float8e8m0 targets).

import { type CastData, type CastType, castElements } from '../../kernels/cast.js';
import type { E8M0RoundMode } from '../../kernels/float8.js';
import { type DataType, allocate, dataTypeFromOnnx } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';

/** Cast-1 spelled the target as the TensorProto.DataType enum name. */
const TYPE_NAMES: Readonly<Record<string, DataType>> = {
  FLOAT: 'float32', DOUBLE: 'float64', FLOAT16: 'float16', BFLOAT16: 'bfloat16',
  INT8: 'int8', UINT8: 'uint8', INT16: 'int16', UINT16: 'uint16', INT32: 'int32', UINT32: 'uint32',
  INT64: 'int64', UINT64: 'uint64', BOOL: 'bool', STRING: 'string',
};

interface CastLikeAttrs {
  readonly saturate: boolean;
  readonly roundMode: E8M0RoundMode;
}

interface CastAttrs extends CastLikeAttrs {
  readonly to: CastType;
}

function castType(name: string, t: DataType): CastType {
  if (t === 'complex64' || t === 'complex128') {
    throw new InvalidNodeError(`${name}: casting from or to ${t} is not supported`);
  }
  return t;
}

function parseTo(a: Attrs): CastType {
  const raw = a.raw('to');
  if (raw === undefined) throw new InvalidNodeError(`Cast: required attribute 'to' is missing`);
  if (raw.type === 'string') {
    const t = TYPE_NAMES[raw.value.toUpperCase()];
    if (t === undefined) throw new InvalidNodeError(`Cast: unknown target type '${raw.value}'`);
    return castType('Cast', t);
  }
  const code = a.int('to');
  const t = dataTypeFromOnnx(code);
  if (t === undefined) throw new InvalidNodeError(`Cast: unknown target type code ${code}`);
  return castType('Cast', t);
}

function parseSaturate(a: Attrs): boolean {
  const s = a.int('saturate', 1);
  if (s !== 0 && s !== 1) throw new InvalidNodeError(`saturate must be 0 or 1, got ${s}`);
  return s === 1;
}

function parseRoundMode(a: Attrs): E8M0RoundMode {
  const m = a.string('round_mode', 'up');
  if (m !== 'up' && m !== 'down' && m !== 'nearest') {
    throw new InvalidNodeError(`round_mode must be 'up', 'down' or 'nearest', got '${m}'`);
  }
  return m;
}

function castTensor(name: string, x: Tensor, to: CastType, attrs: CastLikeAttrs): Tensor {
  const from = castType(name, x.type);
  const out = allocate(to, x.size) as CastData;
  castElements(x.data as CastData, from, out, to, { saturate: attrs.saturate, roundMode: attrs.roundMode });
  return new Tensor(to, out, x.dims);
}

function required(name: string, inputs: readonly (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (t === undefined) throw new InvalidNodeError(`${name}: input ${i} is required`);
  return t;
}

function cast(since: number, parse: (a: Attrs) => CastAttrs): OpDef {
  return op<CastAttrs>({
    name: 'Cast',
    since,
    parse: (a) => Object.freeze(parse(a)),
    infer: (inputs, attrs) => [tensorType(attrs.to, shapeOf(inputs[0]))],
    inferDims: (inputs) => [inputs[0]?.dims],
    run: (inputs, attrs) => [castTensor('Cast', required('Cast', inputs, 0), attrs.to, attrs)],
  });
}

function castLike(since: number, parse: (a: Attrs) => CastLikeAttrs): OpDef {
  return op<CastLikeAttrs>({
    name: 'CastLike',
    since,
    parse: (a) => Object.freeze(parse(a)),
    infer: (inputs) => [tensorType(elemOf(inputs[1]), shapeOf(inputs[0]))],
    run: (inputs, attrs) => {
      const x = required('CastLike', inputs, 0);
      const like = required('CastLike', inputs, 1);
      return [castTensor('CastLike', x, castType('CastLike', like.type), attrs)];
    },
  });
}

const DEFAULTS: CastLikeAttrs = { saturate: true, roundMode: 'up' };

export const castOps: OpDef[] = [
  cast(1, (a) => ({ ...DEFAULTS, to: parseTo(a) })),
  cast(19, (a) => ({ ...DEFAULTS, to: parseTo(a), saturate: parseSaturate(a) })),
  cast(25, (a) => ({ to: parseTo(a), saturate: parseSaturate(a), roundMode: parseRoundMode(a) })),
  castLike(15, () => DEFAULTS),
  castLike(19, (a) => ({ ...DEFAULTS, saturate: parseSaturate(a) })),
  castLike(25, (a) => ({ saturate: parseSaturate(a), roundMode: parseRoundMode(a) })),
];
