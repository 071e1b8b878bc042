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
import { dropoutOps } from './dropout.js';
import { movementOps } from './movement.js';
import { gatherScatterOps } from './gather-scatter.js';
import { resizeOps } from './resize.js';
import { controlFlowOps } from './control-flow.js';
import { sequenceOps } from './sequence.js';
import { recurrentOps } from './recurrent.js';
import { lossOps } from './loss.js';
import { attentionOps } from './attention.js';
import { spatialOps } from './spatial.js';
import { detectionOps } from './detection.js';
import { uniqueOps } from './unique.js';
import { tensorScatterOps } from './tensor-scatter.js';
import { detOps } from './det.js';
import { quantizeOps } from './quantize.js';
import { bitcastOps } from './bitcast.js';
import { signalOps } from './signal.js';
import { randomOps } from './random.js';
import { stringOps } from './string.js';
import { trainingOps } from './training.js';
import { gradientOps } from './gradient.js';
import { imageDecoderOps } from './image-decoder.js';
import { mlOps } from '../ml/index.js';

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
  ...dropoutOps,
  ...movementOps,
  ...gatherScatterOps,
  ...resizeOps,
  ...controlFlowOps,
  ...sequenceOps,
  ...recurrentOps,
  ...lossOps,
  ...attentionOps,
  ...spatialOps,
  ...detectionOps,
  ...uniqueOps,
  ...tensorScatterOps,
  ...detOps,
  ...quantizeOps,
  ...bitcastOps,
  ...signalOps,
  ...randomOps,
  ...stringOps,
  ...trainingOps,
  ...gradientOps,
  ...imageDecoderOps,
  ...mlOps,
];
