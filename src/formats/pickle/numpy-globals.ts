// numpy's pickle constructors, implemented in TypeScript: arrays load as Tensors.
// ndarray.__reduce__ gives _reconstruct + BUILD(state); protocol 5 gives _frombuffer;
// numpy scalars give multiarray.scalar. Object and structured dtypes are refused.

import type { DataType } from '../../dtypes.js';
import { ModelFormatError } from '../../errors.js';
import {
  argCount, asIntList, asString, bad, BUILDERS, type CallContext, describe, type GlobalEntry, isGlobal, where,
} from './globals-api.js';
import { checkTensorElements, gatherStrided, HOST_BIG_ENDIAN, swapBytes, tensorFromBytes } from './tensor-rebuild.js';
import type { Tensor } from '../../tensor.js';

/** numpy type code (kind + item size, from the file) -> tessera type. */
const KINDS = new Map<string, DataType>([
  ['b1', 'bool'], ['i1', 'int8'], ['u1', 'uint8'], ['i2', 'int16'], ['u2', 'uint16'], ['i4', 'int32'], ['u4', 'uint32'],
  ['i8', 'int64'], ['u8', 'uint64'], ['f2', 'float16'], ['f4', 'float32'], ['f8', 'float64'], ['c8', 'complex64'],
  ['c16', 'complex128'],
]);

/** numpy.dtype as the pickle builds it: a type code, then BUILD sets the byte order. */
export class NumpyDtype {
  byteorder = '=';
  structured = false;
  constructor(readonly code: string) {}
  get type(): DataType | undefined {
    return KINDS.get(this.code);
  }
  get itemsize(): number {
    return Number(this.code.slice(1));
  }
}

/** An ndarray between _reconstruct and its BUILD. */
export class PendingNdarray {
  constructor(readonly shape: readonly number[]) {}
}

function toBytes(ctx: CallContext, fn: string, x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (typeof x === 'string') {
    // Python 2 str payloads arrive as latin-1 text.
    const out = new Uint8Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const c = x.charCodeAt(i);
      if (c > 255) bad(ctx, fn, 'array data is not a byte string');
      out[i] = c;
    }
    return out;
  }
  if (Array.isArray(x)) bad(ctx, fn, 'object arrays (dtype=object) are not loaded: they pickle arbitrary Python objects');
  bad(ctx, fn, `array data must be bytes, got ${describe(x)}`);
}

function arrayFromBytes(
  ctx: CallContext, fn: string, dtype: unknown, shapeArg: unknown, data: unknown, fortran: boolean,
): Tensor {
  if (!(dtype instanceof NumpyDtype)) bad(ctx, fn, `dtype must be a numpy.dtype, got ${describe(dtype)}`);
  if (dtype.code.startsWith('O')) toBytes(ctx, fn, []);
  const type = dtype.type;
  if (!type || dtype.structured) bad(ctx, fn, `unsupported numpy dtype '${dtype.code}'`);
  const dims = asIntList(ctx, fn, shapeArg, 'shape');
  const raw = toBytes(ctx, fn, data);
  const elem = dtype.itemsize;
  let n = 1;
  for (const d of dims) {
    if (d < 0) bad(ctx, fn, `negative dimension ${d}`);
    n *= d;
  }
  if (!Number.isSafeInteger(n * elem) || raw.length !== n * elem) {
    throw new ModelFormatError(`${where(ctx)}: ${fn}: shape [${dims.join(', ')}] of ${dtype.code} needs ${n * elem} bytes, data has ${raw.length}`);
  }
  checkTensorElements(n, ctx.budget, `${where(ctx)}: ${fn}`);
  let out: Uint8Array;
  if (fortran && dims.length > 1) {
    const stride: number[] = [];
    for (let d = 0, s = 1; d < dims.length; d++) { stride.push(s); s *= dims[d]!; }
    out = gatherStrided(raw, elem, 0, dims, stride, ctx.budget, `${where(ctx)}: ${fn}`);
  } else {
    ctx.budget.chargeBytes(raw.length, `${where(ctx)}: ${fn}`);
    out = raw.slice();
  }
  const big = dtype.byteorder === '>' || (dtype.byteorder === '=' && HOST_BIG_ENDIAN);
  if (big !== HOST_BIG_ENDIAN) swapBytes(out, dtype.code[0] === 'c' ? elem / 2 : elem);
  return tensorFromBytes(type, out, dims);
}

const RECONSTRUCT: GlobalEntry = {
  returns: 'object',
  builds: 'once',
  call: (a, ctx) => {
    const fn = '_reconstruct';
    argCount(ctx, fn, a, 3);
    if (!isGlobal(a[0], 'numpy.ndarray')) bad(ctx, fn, `only numpy.ndarray can be reconstructed, got ${describe(a[0])}`);
    const pending = new PendingNdarray(asIntList(ctx, fn, a[1], 'shape'));
    BUILDERS.set(pending, (state, bctx) => {
      BUILDERS.delete(pending); // one-shot: the array replaces the placeholder
      if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) bad(bctx, 'ndarray.__setstate__', 'state must be a 4- or 5-tuple');
      const s = state.length === 5 ? state.slice(1) : state;
      return arrayFromBytes(bctx, 'ndarray.__setstate__', s[1], s[0], s[3], s[2] === true);
    });
    return pending;
  },
};

const DTYPE: GlobalEntry = {
  returns: 'object',
  builds: 'many',
  call: (a, ctx) => {
    argCount(ctx, 'numpy.dtype', a, 1, 3);
    const code = asString(ctx, 'numpy.dtype', a[0], 'type code');
    if (code.length > 8) bad(ctx, 'numpy.dtype', `bad type code ${JSON.stringify(code.slice(0, 16))}`);
    const dt = new NumpyDtype(code);
    BUILDERS.set(dt, (state, bctx) => {
      if (!Array.isArray(state) || state.length < 2) bad(bctx, 'dtype.__setstate__', 'state must be a tuple');
      const order = state.length >= 8 ? state[1] : state[0];
      if (order !== '<' && order !== '>' && order !== '|' && order !== '=') bad(bctx, 'dtype.__setstate__', `bad byte order ${describe(order)}`);
      dt.byteorder = order;
      if (state.length >= 8 && (state[3] !== null || state[4] !== null)) dt.structured = true;
      return undefined;
    });
    return dt;
  },
};

const FROMBUFFER: GlobalEntry = {
  returns: 'object',
  call: (a, ctx) => {
    argCount(ctx, '_frombuffer', a, 4);
    const order = asString(ctx, '_frombuffer', a[3], 'order');
    if (order !== 'C' && order !== 'F') bad(ctx, '_frombuffer', `bad order '${order}'`);
    return arrayFromBytes(ctx, '_frombuffer', a[1], a[2], a[0], order === 'F');
  },
};

const SCALAR: GlobalEntry = {
  returns: 'object',
  call: (a, ctx) => {
    argCount(ctx, 'scalar', a, 1, 2);
    return arrayFromBytes(ctx, 'scalar', a[0], [], a.length > 1 ? a[1] : new Uint8Array(0), false);
  },
};

const ENTRIES: Array<[string, GlobalEntry]> = [['numpy.ndarray', {}], ['numpy.dtype', DTYPE]];
for (const core of ['numpy.core', 'numpy._core']) {
  ENTRIES.push([`${core}.multiarray._reconstruct`, RECONSTRUCT], [`${core}.multiarray.scalar`, SCALAR],
    [`${core}.numeric._frombuffer`, FROMBUFFER]);
}

export const NUMPY_GLOBALS: ReadonlyMap<string, GlobalEntry> = new Map(ENTRIES);

/** `_codecs.encode(str, 'latin1')`: how protocol 0-2 pickles bytes in Python 3. */
export function codecsEncode(a: readonly unknown[], ctx: CallContext): Uint8Array {
  argCount(ctx, '_codecs.encode', a, 1, 2);
  const s = asString(ctx, '_codecs.encode', a[0], 'text');
  const enc = a.length > 1 ? asString(ctx, '_codecs.encode', a[1], 'encoding').toLowerCase().replace('_', '-') : 'utf-8';
  if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) bad(ctx, '_codecs.encode', 'text is not latin-1');
      out[i] = c;
    }
    return out;
  }
  if (enc === 'utf-8' || enc === 'utf8') return new TextEncoder().encode(s);
  bad(ctx, '_codecs.encode', `unsupported encoding '${enc}'`);
}
