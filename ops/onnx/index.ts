// The ONNX operator families every session has at hand: the ones CNNs and transformers are made
// of, and the ones the planner's rewrites emit (Gelu, LayerNormalization, attention). The other
// families load when a model names one of their operators (./optional.ts); ./all.ts lists both.

import type { OpDef } from '../op-def.js';
import { elementwiseBinaryOps } from './elementwise-binary.js';
import { elementwiseUnaryOps } from './elementwise-unary.js';
import { castOps } from './cast.js';
import { linearOps } from './linear.js';
import { convOps } from './conv.js';
import { poolOps } from './pool.js';
import { normalizationOps } from './normalization.js';
import { softmaxOps } from './softmax.js';
import { reduceOps } from './reduce.js';
import { shapeOps } from './shape.js';
import { dropoutOps } from './dropout.js';
import { movementOps } from './movement.js';
import { gatherScatterOps } from './gather-scatter.js';
import { attentionOps } from './attention.js';

export { OPTIONAL_ONNX_FAMILIES, type OptionalOpFamily } from './optional.js';

export const onnxOps: readonly OpDef[] = [
  ...elementwiseBinaryOps,
  ...elementwiseUnaryOps,
  ...castOps,
  ...linearOps,
  ...convOps,
  ...poolOps,
  ...normalizationOps,
  ...softmaxOps,
  ...reduceOps,
  ...shapeOps,
  ...dropoutOps,
  ...movementOps,
  ...gatherScatterOps,
  ...attentionOps,
];
