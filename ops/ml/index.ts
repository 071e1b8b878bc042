// ai.onnx.ml operators, one file per family.

import type { OpDef } from '../op-def.js';
import { encoderOps } from './encoders.js';
import { linearOps } from './linear.js';
import { mapOps } from './maps.js';
import { preprocessOps } from './preprocess.js';
import { svmOps } from './svm.js';
import { treeEnsembleOps } from './tree-ensemble.js';

/** ai.onnx.ml operators. */
export const mlOps: OpDef[] = [
  ...treeEnsembleOps,
  ...linearOps,
  ...svmOps,
  ...preprocessOps,
  ...encoderOps,
  ...mapOps,
];
