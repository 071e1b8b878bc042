// Every ONNX operator family, in one resolve table.

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
import { cumsumOps } from './cumsum.js';
import { topkOps } from './topk.js';
import { einsumOps } from './einsum.js';
import { shapeOps } from './shape.js';
import { movementOps } from './movement.js';
import { gatherScatterOps } from './gather-scatter.js';
import { resizeOps } from './resize.js';

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
  ...cumsumOps,
  ...topkOps,
  ...einsumOps,
  ...shapeOps,
  ...movementOps,
  ...gatherScatterOps,
  ...resizeOps,
];
