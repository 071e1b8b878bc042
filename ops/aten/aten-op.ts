// The contract between the TorchScript interpreter (src/formats/torchscript) and the aten
// operator library (ops/aten/<family>.ts): TorchScript values and aten op definitions.

import type { Tensor } from '../../src/tensor.js';

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

/**
 * An aten (or prim) operator. `schema` lists arguments as PyTorch's native_functions.yaml
 * does, e.g. '(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int groups=1)';
 * the interpreter binds positional and keyword arguments against it and fills defaults,
 * so `run` always receives one value per schema argument, in order.
 * In-place variants (`add_`) mutate and return their first argument.
 */
export interface AtenOp {
  /** 'aten::conv2d', 'aten::add_', 'prim::NumToTensor'. */
  readonly name: string;
  readonly schema: string;
  readonly run: (args: readonly TsValue[]) => TsValue;
}
