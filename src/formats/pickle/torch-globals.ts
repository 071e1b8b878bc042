// The torch globals a checkpoint may name, each implemented in TypeScript: tensor and parameter
// rebuilders, storage classes, dtypes, torch.Size, torch.device and TorchScript's list builders.

import { ModelFormatError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import {
  argCount, asInt, asIntList, asNumber, asString, bad, BUILDERS, type CallContext, describe, type GlobalEntry, where,
} from './globals-api.js';
import {
  type Quantization, STORAGE_CLASSES, type StorageRef, TENSOR_SOURCES, tensorFromStorage, type TorchDType, TORCH_DTYPE_ALIASES, TORCH_DTYPES,
} from './tensor-rebuild.js';
import { makeTuple, PyGlobal } from './values.js';

/** A storage handed to the unpickler by the container's persistent_load. */
export class StorageHandle {
  constructor(readonly ref: StorageRef, readonly deferred = false) {}
}

/** Stands in for tensors while a legacy file's pickle is read before its storages. */
export const DEFERRED_TENSOR: object = Object.freeze({ deferred: true });
BUILDERS.set(DEFERRED_TENSOR, () => undefined);

export function dtypeFromGlobal(x: unknown): TorchDType | undefined {
  if (!(x instanceof PyGlobal) || x.module !== 'torch') return undefined;
  return TORCH_DTYPES.get(TORCH_DTYPE_ALIASES.get(x.name) ?? x.name);
}

export function storageClassDtype(x: unknown): TorchDType | undefined {
  if (!(x instanceof PyGlobal)) return undefined;
  if (x.module !== 'torch' && x.module !== 'torch.cuda' && x.module !== 'torch.storage') return undefined;
  const name = STORAGE_CLASSES.get(x.name);
  return name === undefined ? undefined : TORCH_DTYPES.get(name);
}

function tensorBuilder(t: Tensor): void {
  BUILDERS.set(t, (state) => {
    // Tensor.__setstate__ / Parameter state: attributes only (e.g. requires_grad, _backward_hooks).
    if (state !== null && state !== undefined) {
      const src = TENSOR_SOURCES.get(t);
      if (src && Array.isArray(state) && typeof state[2] === 'boolean') src.requiresGrad = state[2];
    }
    return undefined;
  });
}

function rebuild(
  ctx: CallContext, fn: string, storage: unknown, offsetArg: unknown, sizeArg: unknown, strideArg: unknown,
  requiresGrad: unknown, dtypeOverride?: TorchDType, quant?: Quantization,
): unknown {
  if (!(storage instanceof StorageHandle)) bad(ctx, fn, `storage must come from the file's storages, got ${describe(storage)}`);
  const offset = asInt(ctx, fn, offsetArg, 'storage_offset');
  const size = asIntList(ctx, fn, sizeArg, 'size');
  const stride = asIntList(ctx, fn, strideArg, 'stride');
  if (storage.deferred) return DEFERRED_TENSOR;
  const dtype = dtypeOverride ?? storage.ref.dtype;
  let view = { ...storage.ref };
  if (dtypeOverride && dtypeOverride !== storage.ref.dtype && storage.ref.dtype.size !== 1) {
    bad(ctx, fn, `dtype ${dtypeOverride.torch} over a typed ${storage.ref.dtype.torch} storage`);
  }
  view = { ...view, dtype };
  const t = tensorFromStorage(view, dtype, offset, size, stride, ctx.budget, `${where(ctx)}: ${fn} on storage '${storage.ref.key}'`);
  TENSOR_SOURCES.set(t, {
    storage: storage.ref.key, dtype: dtype.torch, offset, shape: size, stride,
    requiresGrad: requiresGrad === true, parameter: false, ...(quant ? { quantization: quant } : {}),
  });
  tensorBuilder(t);
  return t;
}

/**
 * _rebuild_qtensor's quantizer_params: (per_tensor_affine, scale, zero_point) or
 * (per_channel_affine[_float_qparams], scales tensor, zero_points tensor, axis), the per-channel
 * parameters checked against the tensor's size along axis.
 */
function quantizerParams(ctx: CallContext, fn: string, params: unknown, sizeArg: unknown): Quantization {
  if (!Array.isArray(params)) return bad(ctx, fn, `quantizer parameters must be a tuple, got ${describe(params)}`);
  const q: unknown[] = params;
  const scheme = q[0] instanceof PyGlobal ? q[0].qualname : undefined;
  if (scheme === 'torch.per_tensor_affine' && q.length === 3) {
    return { scheme: 'per_tensor_affine', scale: asNumber(ctx, fn, q[1], 'scale'), zeroPoint: asInt(ctx, fn, q[2], 'zero_point') };
  }
  if ((scheme === 'torch.per_channel_affine' || scheme === 'torch.per_channel_affine_float_qparams') && q.length === 4) {
    if (q[1] === DEFERRED_TENSOR || q[2] === DEFERRED_TENSOR) bad(ctx, fn, 'per-channel scales and zero points must load with the tensor');
    const [sc, zp] = [q[1], q[2]];
    if (!(sc instanceof Tensor) || !(zp instanceof Tensor) || sc.rank !== 1 || zp.rank !== 1) {
      return bad(ctx, fn, `per-channel scales and zero_points must be 1-D tensors, got ${describe(sc)} and ${describe(zp)}`);
    }
    const axis = asInt(ctx, fn, q[3], 'axis');
    const size = asIntList(ctx, fn, sizeArg, 'size');
    const scales = sc.toNumbers();
    const zeroPoints = zp.toNumbers();
    if (!(axis >= 0 && axis < size.length) || scales.length !== size[axis] || zeroPoints.length !== size[axis]) {
      bad(ctx, fn, `per-channel axis ${axis} of size [${size.join(', ')}] needs one scale and zero point per channel, got ${scales.length} and ${zeroPoints.length}`);
    }
    return { scheme: scheme === 'torch.per_channel_affine' ? 'per_channel_affine' : 'per_channel_affine_float_qparams', scales, zeroPoints, axis };
  }
  return bad(ctx, fn, `unsupported quantizer parameters ${describe(q)} (per_tensor_affine and per_channel_affine are supported)`);
}

function markParameter(ctx: CallContext, fn: string, data: unknown, requiresGrad: unknown): unknown {
  if (data === DEFERRED_TENSOR) return data;
  if (!(data instanceof Tensor)) bad(ctx, fn, `data must be a tensor, got ${describe(data)}`);
  const src = TENSOR_SOURCES.get(data);
  if (src) { src.parameter = true; src.requiresGrad = requiresGrad === true; }
  return data;
}

/** Tensor rebuilders return a tensor that accepts BUILD (its Python attributes). */
const TENSOR = { returns: 'object', builds: 'many' } as const;

const identity = (fn: string): GlobalEntry => ({
  returns: 'arg0',
  call: (args, ctx) => { argCount(ctx, fn, args, 1); return args[0]; },
});

const ENTRIES: Map<string, GlobalEntry> = new Map<string, GlobalEntry>(Object.entries({
  'torch._utils._rebuild_tensor': {
    ...TENSOR,
    call: (a, ctx) => { argCount(ctx, '_rebuild_tensor', a, 4); return rebuild(ctx, '_rebuild_tensor', a[0], a[1], a[2], a[3], false); },
  },
  'torch._utils._rebuild_tensor_v2': {
    ...TENSOR,
    call: (a, ctx) => {
      argCount(ctx, '_rebuild_tensor_v2', a, 6, 7);
      return rebuild(ctx, '_rebuild_tensor_v2', a[0], a[1], a[2], a[3], a[4]);
    },
  },
  'torch._utils._rebuild_tensor_v3': {
    ...TENSOR,
    call: (a, ctx) => {
      argCount(ctx, '_rebuild_tensor_v3', a, 7, 8);
      const dt = dtypeFromGlobal(a[6]);
      if (!dt) bad(ctx, '_rebuild_tensor_v3', `dtype must be a torch dtype, got ${describe(a[6])}`);
      return rebuild(ctx, '_rebuild_tensor_v3', a[0], a[1], a[2], a[3], a[4], dt);
    },
  },
  'torch._utils._rebuild_qtensor': {
    ...TENSOR,
    call: (a, ctx) => {
      const fn = '_rebuild_qtensor';
      argCount(ctx, fn, a, 7);
      const quant = quantizerParams(ctx, fn, a[4], a[2]);
      return rebuild(ctx, fn, a[0], a[1], a[2], a[3], a[5], undefined, quant);
    },
  },
  'torch._utils._rebuild_parameter': {
    returns: 'arg0',
    call: (a, ctx) => { argCount(ctx, '_rebuild_parameter', a, 3); return markParameter(ctx, '_rebuild_parameter', a[0], a[1]); },
  },
  'torch._utils._rebuild_parameter_with_state': {
    returns: 'arg0',
    call: (a, ctx) => {
      argCount(ctx, '_rebuild_parameter_with_state', a, 4);
      return markParameter(ctx, '_rebuild_parameter_with_state', a[0], a[1]);
    },
  },
  'torch._tensor._rebuild_from_type_v2': {
    ...TENSOR,
    call: (a, ctx, _kw) => {
      const fn = '_rebuild_from_type_v2';
      argCount(ctx, fn, a, 4);
      const [func, newType, args] = a;
      if (!(func instanceof PyGlobal) || !REBUILDERS.has(func.qualname)) bad(ctx, fn, `func must be a tensor rebuilder, got ${describe(func)}`);
      if (!(newType instanceof PyGlobal) || !TENSOR_TYPES.has(newType.qualname)) bad(ctx, fn, `unsupported tensor type ${describe(newType)}`);
      if (!Array.isArray(args)) bad(ctx, fn, `args must be a tuple, got ${describe(args)}`);
      const t: unknown = ENTRIES.get(func.qualname)!.call!(args, ctx);
      if (newType.qualname === 'torch.nn.parameter.Parameter') markParameter(ctx, fn, t, true);
      return t;
    },
  },
  'torch.Size': {
    returns: 'tuple',
    call: (a, ctx) => { argCount(ctx, 'torch.Size', a, 0, 1); return makeTuple(a.length ? asIntList(ctx, 'torch.Size', a[0], 'sizes') : []); },
  },
  'torch.device': {
    returns: 'str',
    call: (a, ctx) => {
      argCount(ctx, 'torch.device', a, 1, 2);
      const type = asString(ctx, 'torch.device', a[0], 'type');
      return a.length === 2 && a[1] !== null ? `${type}:${asInt(ctx, 'torch.device', a[1], 'index')}` : type;
    },
  },
  'torch.jit._pickle.build_intlist': identity('build_intlist'),
  'torch.jit._pickle.build_doublelist': identity('build_doublelist'),
  'torch.jit._pickle.build_boollist': identity('build_boollist'),
  'torch.jit._pickle.build_tensorlist': identity('build_tensorlist'),
  'torch.jit._pickle.restore_type_tag': {
    returns: 'arg0',
    call: (a, ctx) => { argCount(ctx, 'restore_type_tag', a, 2); return a[0]; },
  },
  'torch.jit._pickle.build_tensor_from_id': {
    returns: 'object',
    call: (a, ctx) => {
      argCount(ctx, 'build_tensor_from_id', a, 1);
      const id = asInt(ctx, 'build_tensor_from_id', a[0], 'id');
      const t = ctx.tensorTable?.[id];
      if (!t) throw new ModelFormatError(`${where(ctx)}: build_tensor_from_id: no tensor ${id} in the tensor table`);
      return t;
    },
  },
  // Data-only globals: usable as values (dtypes, classes passed to rebuilders), never callable.
  'torch.Tensor': {},
  'torch.nn.parameter.Parameter': {},
  'torch.per_tensor_affine': {},
  'torch.per_channel_affine': {},
  'torch.per_channel_affine_float_qparams': {},
  'torch.storage.UntypedStorage': {},
} satisfies Record<string, GlobalEntry>));

const REBUILDERS = new Set([
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter', 'torch._utils._rebuild_qtensor',
]);
const TENSOR_TYPES = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);

for (const name of TORCH_DTYPES.keys()) ENTRIES.set(`torch.${name}`, {});
for (const name of TORCH_DTYPE_ALIASES.keys()) ENTRIES.set(`torch.${name}`, {});
for (const name of STORAGE_CLASSES.keys()) {
  ENTRIES.set(`torch.${name}`, {});
  if (name !== 'UntypedStorage') ENTRIES.set(`torch.cuda.${name}`, {});
  // The tensor type classes (torch.FloatTensor, ...), which torch.save's pre-0.4 tar format records
  // name as data beside each tensor: data-only, never callable.
  if (name !== 'UntypedStorage' && !name.startsWith('Q')) ENTRIES.set(`torch.${name.replace(/Storage$/, 'Tensor')}`, {});
}

export const TORCH_GLOBALS: ReadonlyMap<string, GlobalEntry> = ENTRIES;
