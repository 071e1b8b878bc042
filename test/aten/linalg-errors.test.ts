// Singular and malformed inputs to the aten linalg ops behave as PyTorch's: inv_ex reports
// LAPACK's info, inv and solve refuse naming the zero pivot (and batch element), det is 0, and
// the norms refuse orders they do not define.

import { describe, expect, it } from 'vitest';
import { atenOps } from '../../ops/aten/index.js';
import { TsTuple, type TsValue } from '../../ops/aten/aten-op.js';
import { Tensor } from '../../src/tensor.js';

function run(name: string, schemaStart: string, args: TsValue[]): TsValue {
  const op = atenOps.find((o) => o.name === `aten::${name}` && o.schema.startsWith(schemaStart));
  if (!op) throw new Error(`no ${name} ${schemaStart}`);
  return op.run(args);
}

const singular = () => new Tensor('float32', [1, 2, 2, 4], [2, 2]);
const batch = () => new Tensor('float64', [2, 0, 0, 1, 1, 2, 2, 4], [2, 2, 2]);

describe('aten linalg: singular inputs', () => {
  it('linalg_inv_ex gives info = the first zero pivot (1-based), without raising', () => {
    const out = run('linalg_inv_ex', '(Tensor A', [batch(), false]) as TsTuple;
    expect(Array.from((out.items[1] as Tensor).data as Int32Array)).toEqual([0, 2]);
    expect((out.items[1] as Tensor).type).toBe('int32');
    expect(() => run('linalg_inv_ex', '(Tensor A', [batch(), true])).toThrow(/Batch element 1.*diagonal element 2 is zero/);
  });

  it('linalg_inv and inverse raise naming the zero pivot', () => {
    expect(() => run('linalg_inv', '(Tensor A', [singular()])).toThrow(/aten::linalg_inv: The diagonal element 2 is zero/);
    expect(() => run('inverse', '(Tensor self', [batch()])).toThrow(/aten::inverse \(Batch element 1\)/);
  });

  it('linalg_solve raises on a singular A; det is 0', () => {
    expect(() => run('linalg_solve', '(Tensor A', [singular(), new Tensor('float32', [1, 1], [2]), true])).toThrow(/singular/);
    expect(Math.abs((run('linalg_det', '(Tensor A', [singular()]) as Tensor).toNumbers()[0]!)).toBe(0);
  });

  it('refuses integer inputs, non-square matrices and unknown norm orders by name', () => {
    expect(() => run('linalg_det', '(Tensor A', [new Tensor('int64', BigInt64Array.of(1n, 2n, 3n, 4n), [2, 2])])).toThrow(/aten::linalg_det: expected a float or double tensor, got int64/);
    expect(() => run('linalg_inv', '(Tensor A', [new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3])])).toThrow(/square matrices, but they are 2 by 3/);
    const m = new Tensor('float32', [1, 2, 3, 4], [2, 2]);
    expect(() => run('linalg_matrix_norm', '(Tensor self, Scalar ord', [m, 3, [-2n, -1n], false, null])).toThrow(/Order 3 not supported/);
  });

  it('scaled_dot_product_attention refuses dropout and a mask with is_causal', () => {
    const q = new Tensor('float32', new Float32Array(8), [1, 2, 4]);
    const args = (mask: TsValue, dropout: number, causal: boolean): TsValue[] => [q, q, q, mask, dropout, causal, null, false];
    expect(() => run('scaled_dot_product_attention', '(Tensor query', args(null, 0.1, false))).toThrow(/dropout_p = 0.1 is not supported/);
    expect(() => run('scaled_dot_product_attention', '(Tensor query', args(new Tensor('bool', [1, 1, 1, 1], [2, 2]), 0, true))).toThrow(/attn_mask should not be set when is_causal/);
  });
});
