// ai.onnx.ml encoders: LabelEncoder (opset 1, 2, 4), CategoryMapper, OneHotEncoder.

import {
  type LookupKey, lookupBigInts, lookupNumbers, lookupStrings, lookupTruncated, oneHotRows, takeOrDefault,
} from '../../kernels/ml-preprocess.js';
import type { DataType } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferFn, type OpDef, op } from '../op-def.js';
import { outputWords, tensorWords } from '../tensor-words.js';
import { required } from '../op-inputs.js';
import { ML } from './ml-common.js';

type KeyKind = 'string' | 'number' | 'bigint';

/** A key -> value table: keys map to positions in `values`; misses take `def` (a 1-element tensor). */
interface Table {
  readonly keyKind: KeyKind;
  readonly index: ReadonlyMap<LookupKey, number>;
  readonly values: Tensor;
  readonly def: Tensor;
}

function keyKindOf(type: DataType): KeyKind {
  return type === 'string' ? 'string' : type === 'int64' || type === 'uint64' ? 'bigint' : 'number';
}

function tableOf(opName: string, keys: Tensor, values: Tensor, def: Tensor): Table {
  if (keys.size !== values.size) {
    throw new InvalidNodeError(`${opName}: ${keys.size} keys but ${values.size} values`);
  }
  const index = new Map<LookupKey, number>();
  const list: readonly LookupKey[] = keys.type === 'string' ? (keys.data as string[])
    : keyKindOf(keys.type) === 'bigint' ? [...(keys.data as BigInt64Array)] : keys.toNumbers();
  list.forEach((k, i) => { if (!index.has(k)) index.set(k, i); });
  if (def.type !== values.type) throw new InvalidNodeError(`${opName}: default is ${def.type} but values are ${values.type}`);
  return Object.freeze({ keyKind: keyKindOf(keys.type), index, values, def });
}

function lookup(opName: string, x: Tensor, t: Table): Tensor {
  const kind = keyKindOf(x.type);
  if (kind !== t.keyKind || x.type === 'bool') {
    throw new InvalidNodeError(`${opName}: input is ${x.type} but the keys are ${t.keyKind === 'number' ? 'numeric' : t.keyKind}`);
  }
  const index = new Int32Array(x.size);
  if (kind === 'string') lookupStrings(x.data as string[], t.index, index);
  else if (kind === 'bigint') lookupBigInts(x.data as BigInt64Array, t.index, index);
  else lookupNumbers(x.toNumbers(), t.index, index);
  const out = outputWords(t.values.type, x.dims);
  const v = tensorWords(t.values);
  takeOrDefault(v.words, tensorWords(t.def).words, index, v.width, out.words);
  return out.tensor;
}

const strT = (v: readonly string[]) => new Tensor('string', [...v], [v.length]);
const i64T = (v: readonly number[]) => new Tensor('int64', v.map(BigInt), [v.length]);
const f32T = (v: readonly number[]) => new Tensor('float32', Float32Array.from(v), [v.length]);

/** LabelEncoder opset 2/4: keys_* / values_* lists, or (opset 4) keys_tensor / values_tensor. */
function parseLabelEncoder(a: Attrs): Table {
  const name = 'LabelEncoder';
  const keys = a.tensor('keys_tensor') ?? (a.has('keys_strings') ? strT(a.strings('keys_strings'))
    : a.has('keys_int64s') ? i64T(a.ints('keys_int64s')) : a.has('keys_floats') ? f32T(a.floats('keys_floats')) : undefined);
  const values = a.tensor('values_tensor') ?? (a.has('values_strings') ? strT(a.strings('values_strings'))
    : a.has('values_int64s') ? i64T(a.ints('values_int64s')) : a.has('values_floats') ? f32T(a.floats('values_floats')) : undefined);
  if (!keys || !values) throw new InvalidNodeError(`${name}: keys and values are required`);
  let def = a.tensor('default_tensor');
  if (!def) {
    def = values.type === 'string' ? strT([a.string('default_string', '_Unused')])
      : values.type === 'int64' ? i64T([a.int('default_int64', -1)])
      : values.type === 'float32' ? f32T([a.float('default_float', -0)])
      : Tensor.zeros(values.type, [1]);
  }
  if (def.size !== 1) throw new InvalidNodeError(`${name}: default_tensor must hold one value, has ${def.size}`);
  return tableOf(name, keys, values, def);
}

/** LabelEncoder opset 1: classes_strings; string -> its index (int64) or int64 -> string. */
interface LabelEncoder1 { readonly toIndex: Table; readonly toString: Table }
function parseLabelEncoder1(a: Attrs): LabelEncoder1 {
  const classes = a.strings('classes_strings', []);
  const ids = classes.map((_, i) => i);
  return Object.freeze({
    toIndex: tableOf('LabelEncoder', strT(classes), i64T(ids), i64T([a.int('default_int64', -1)])),
    toString: tableOf('LabelEncoder', i64T(ids), strT(classes), strT([a.string('default_string', '_Unused')])),
  });
}

/** CategoryMapper: cats_strings[i] <-> cats_int64s[i], direction chosen by the input type. */
function parseCategoryMapper(a: Attrs): LabelEncoder1 {
  const s = a.strings('cats_strings');
  const i = a.ints('cats_int64s');
  return Object.freeze({
    toIndex: tableOf('CategoryMapper', strT(s), i64T(i), i64T([a.int('default_int64', -1)])),
    toString: tableOf('CategoryMapper', i64T(i), strT(s), strT([a.string('default_string', '_Unused')])),
  });
}

function runBidirectional(opName: string, x: Tensor, a: LabelEncoder1): Tensor {
  return lookup(opName, x, x.type === 'string' ? a.toIndex : a.toString);
}

/** OneHotEncoder: X [...] -> float32 [..., nCats]; unknown categories give a zero row when zeros=1. */
interface OneHotAttrs { readonly table: Table; readonly n: number; readonly zeros: boolean }
function parseOneHot(a: Attrs): OneHotAttrs {
  const keys = a.has('cats_strings') ? strT(a.strings('cats_strings'))
    : a.has('cats_int64s') ? i64T(a.ints('cats_int64s')) : undefined;
  if (!keys) throw new InvalidNodeError('OneHotEncoder: cats_strings or cats_int64s is required');
  const pos = i64T(Array.from({ length: keys.size }, (_, i) => i));
  return Object.freeze({ table: tableOf('OneHotEncoder', keys, pos, i64T([-1])), n: keys.size, zeros: a.int('zeros', 1) !== 0 });
}

function runOneHot(x: Tensor, a: OneHotAttrs): Tensor {
  const index = new Int32Array(x.size);
  if (x.type === 'string') {
    if (a.table.keyKind !== 'string') throw new InvalidNodeError('OneHotEncoder: string input needs cats_strings');
    lookupStrings(x.data as string[], a.table.index, index);
  } else {
    if (a.table.keyKind !== 'bigint') throw new InvalidNodeError(`OneHotEncoder: ${x.type} input needs cats_int64s`);
    // Numeric inputs are compared as integers (onnxruntime casts them to int64).
    if (x.type === 'int64') lookupBigInts(x.data as BigInt64Array, a.table.index, index);
    else lookupTruncated(x.toNumbers(), a.table.index, index);
  }
  const out = new Float32Array(x.size * a.n);
  const unknown = oneHotRows(index, a.n, out);
  if (unknown >= 0 && !a.zeros) {
    throw new InvalidNodeError(`OneHotEncoder: element ${unknown} ('${String(x.data[unknown])}') is not a known category and zeros=0`);
  }
  return new Tensor('float32', out, [...x.dims, a.n]);
}

/** string -> int64, anything else -> string; shape unchanged. */
const inferBidirectional: InferFn<LabelEncoder1> = ([x]) => {
  const t = elemOf(x);
  return [tensorType(t === undefined ? undefined : t === 'string' ? 'int64' : 'string', shapeOf(x))];
};

export const encoderOps: OpDef[] = [
  op<LabelEncoder1>({
    name: 'LabelEncoder', domain: ML, since: 1, parse: parseLabelEncoder1,
    run: (inputs, a) => [runBidirectional('LabelEncoder', required('LabelEncoder', inputs[0], 'X'), a)],
    infer: inferBidirectional,
  }),
  ...[2, 4].map((since) => op<Table>({
    name: 'LabelEncoder', domain: ML, since, parse: parseLabelEncoder,
    run: (inputs, a) => [lookup('LabelEncoder', required('LabelEncoder', inputs[0], 'X'), a)],
    infer: ([x], a) => [tensorType(a.values.type, shapeOf(x))],
  })),
  op<LabelEncoder1>({
    name: 'CategoryMapper', domain: ML, since: 1, parse: parseCategoryMapper,
    run: (inputs, a) => [runBidirectional('CategoryMapper', required('CategoryMapper', inputs[0], 'X'), a)],
    infer: inferBidirectional,
  }),
  op<OneHotAttrs>({
    name: 'OneHotEncoder', domain: ML, since: 1, parse: parseOneHot,
    run: (inputs, a) => [runOneHot(required('OneHotEncoder', inputs[0], 'X'), a)],
    infer: ([x], a) => {
      const s = shapeOf(x);
      return [tensorType('float32', s && [...s, a.n])];
    },
  }),
];
