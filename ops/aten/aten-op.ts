// The contract between the TorchScript interpreter (src/runtime/torchscript) and the aten
// operator library (ops/aten/<family>.ts): aten op definitions, over the TorchScript values of
// src/ir/torchscript-values.ts (re-exported here for the op files).

import type { TsValue } from '../../src/ir/torchscript-values.js';

export { type TsKey, TsDevice, TsDtype, TsObject, TsTuple, type TsValue } from '../../src/ir/torchscript-values.js';

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
