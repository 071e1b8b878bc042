// TorchScript's run-time values: what the interpreter (src/runtime/torchscript), the aten ops
// (ops/aten) and the archive reader (src/formats/torchscript) all pass around. Core types, like the
// TorchScript AST beside them (torchscript-ast.ts).

import type { Tensor } from '../tensor.js';

/**
 * TorchScript values at run time. Python `int` is a bigint (TorchScript ints are int64 and
 * `1` must stay distinct from `1.0`), `float` a number, `bool` a boolean, `str` a string,
 * `None` null, `List[T]` a JS array, `Dict[K, V]` a Map, tuples and NamedTuples a TsTuple.
 */
export type TsValue =
  | Tensor | bigint | number | boolean | string | null
  | TsValue[] | Map<TsKey, TsValue> | TsTuple | TsDevice | TsDtype | TsObject;

/** Values that can be dict keys (TorchScript allows str, int, float, bool, Tensor). */
export type TsKey = string | bigint | number | boolean | Tensor;

export class TsTuple {
  constructor(readonly items: readonly TsValue[], readonly names?: readonly string[], readonly typeName?: string) {}
}

export class TsDevice {
  constructor(readonly type: string, readonly index: number | null = null) {}
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }
}

/** A torch dtype (torch.float32, ...), named by tessera's DataType where one exists. */
export class TsDtype {
  constructor(readonly name: string, readonly code: number) {}
}

/** An instance of a class from the archive's code/ (modules, user classes). */
export class TsObject {
  readonly attributes = new Map<string, TsValue>();
  constructor(readonly className: string) {}
}

/** c10::ScalarType codes, named by tessera's DataType where one exists. */
const SCALAR_TYPES: readonly [number, string][] = [
  [0, 'uint8'], [1, 'int8'], [2, 'int16'], [3, 'int32'], [4, 'int64'], [5, 'float16'], [6, 'float32'], [7, 'float64'],
  [8, 'complex32'], [9, 'complex64'], [10, 'complex128'], [11, 'bool'], [12, 'qint8'], [13, 'quint8'], [14, 'qint32'],
  [15, 'bfloat16'],
];
const BY_CODE = new Map(SCALAR_TYPES.map(([c, n]) => [c, new TsDtype(n, c)]));
const BY_NAME = new Map(SCALAR_TYPES.map(([c, n]) => [n, BY_CODE.get(c)!]));

export function dtypeFromCode(code: number): TsDtype | undefined {
  return BY_CODE.get(code);
}
export function dtypeFromName(name: string): TsDtype | undefined {
  return BY_NAME.get(name);
}

/**
 * Enum members by qualified name ('__torch__.Format.NHWC'): one object per member, shared by the
 * pickles' values and the code's `__torch__.Format.NHWC`, so that `==` and `is` are identity.
 */
export type EnumMembers = Map<string, TsObject>;

/** The member object: a TsObject of the enum class with `name` and `value`. */
export function enumMember(members: EnumMembers, cls: { readonly qualifiedName: string }, name: string, value: TsValue): TsObject {
  const q = `${cls.qualifiedName}.${name}`;
  let obj = members.get(q);
  if (obj === undefined) {
    obj = new TsObject(cls.qualifiedName);
    obj.attributes.set('name', name);
    obj.attributes.set('value', value);
    members.set(q, obj);
  }
  return obj;
}
