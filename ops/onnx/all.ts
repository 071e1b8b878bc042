// Every ONNX operator, common and optional families alike, imported statically: for code that
// looks ONNX ops up synchronously by name (the aten bridge, ops/aten/onnx-bridge.ts), which is
// itself loaded only with TorchScript.

import type { OpDef } from '../op-def.js';
import { onnxOps } from './index.js';
import { cumsumOps } from './cumsum.js';
import { topkOps } from './topk.js';
import { einsumOps } from './einsum.js';
import { resizeOps } from './resize.js';
import { controlFlowOps } from './control-flow.js';
import { sequenceOps } from './sequence.js';
import { recurrentOps } from './recurrent.js';
import { lossOps } from './loss.js';
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

export const allOnnxOps: readonly OpDef[] = [
  ...onnxOps, ...cumsumOps, ...topkOps, ...einsumOps, ...resizeOps, ...controlFlowOps, ...sequenceOps, ...recurrentOps,
  ...lossOps, ...spatialOps, ...detectionOps, ...uniqueOps, ...tensorScatterOps, ...detOps, ...quantizeOps, ...bitcastOps,
  ...signalOps, ...randomOps, ...stringOps, ...trainingOps, ...gradientOps, ...imageDecoderOps, ...mlOps,
];
