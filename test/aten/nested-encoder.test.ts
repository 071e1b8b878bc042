// TransformerEncoder's nested-tensor fast path, as the scripted encoder calls it:
// _nested_tensor_from_mask_left_aligned, _nested_tensor_from_mask, _transformer_encoder_layer_fwd
// per layer, to_padded_tensor — against PyTorch's eager output.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensorOps } from '../../ops/aten/index.js';
import type { TsValue } from '../../ops/aten/aten-op.js';
import type { Tensor } from '../../src/tensor.js';
import { compare, decode } from './case-runner.js';

const file = JSON.parse(readFileSync(new URL('../../spec-models/aten/cases.json', import.meta.url).pathname, 'utf8')) as {
  nested_encoder: { src: unknown; padding_mask: unknown; layers: unknown[]; out: unknown };
};
const op = (name: string) => tensorOps.find((o) => o.name === `aten::${name}`)!;

describe('nested-tensor TransformerEncoder path', () => {
  it('matches PyTorch', () => {
    const f = file.nested_encoder;
    const src = decode(f.src) as Tensor;
    const valid = op('logical_not').run([decode(f.padding_mask)]) as Tensor;
    expect(op('_nested_tensor_from_mask_left_aligned').run([src, valid])).toBe(true);
    let x = op('_nested_tensor_from_mask').run([src, valid, false]) as Tensor;
    for (const l of f.layers) {
      const args = decode(l) as TsValue[];
      x = op('_transformer_encoder_layer_fwd').run([x, ...args, null, null]) as Tensor;
    }
    const out = op('to_padded_tensor').run([x, 0, null]);
    expect(compare(out, decode(f.out))).toBeNull();
  });

  it('reports a mask that is not left-aligned', () => {
    const src = decode({ tensor: { dtype: 'float32', shape: [1, 3, 1], data: [1, 2, 3] } });
    const mask = decode({ tensor: { dtype: 'bool', shape: [1, 3], data: [1, 0, 1] } });
    expect(op('_nested_tensor_from_mask_left_aligned').run([src, mask])).toBe(false);
  });
});
