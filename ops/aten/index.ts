// Every aten / prim operator the TorchScript interpreter can call, in one table.
// Several entries may share a name (PyTorch overloads, each with its own schema); the
// interpreter picks among them by arity, keywords and argument types.

import type { AtenOp } from './aten-op.js';
import { builtinsOps } from './builtins.js';
import { primOps } from './prim.js';
import { activationOps } from './activation.js';
import { attentionOps } from './attention.js';
import { creationOps } from './creation.js';
import { elementwiseOps } from './elementwise.js';
import { foldOps } from './fold.js';
import { indexingOps } from './indexing.js';
import { linalgOps } from './linalg.js';
import { nnOps } from './nn.js';
import { normOps } from './norms.js';
import { poolOps } from './pool.js';
import { recurrentOps } from './recurrent.js';
import { reduceOps } from './reduce.js';
import { sdpaOps } from './sdpa.js';
import { shapeOps } from './shape.js';
import { transformerOps } from './transformer.js';

/** The tensor operator library (ops/aten/<family>.ts). */
export const tensorOps: readonly AtenOp[] = [
  ...elementwiseOps,
  ...activationOps,
  ...nnOps,
  ...poolOps,
  ...reduceOps,
  ...shapeOps,
  ...indexingOps,
  ...creationOps,
  ...recurrentOps,
  ...transformerOps,
  ...attentionOps,
  ...sdpaOps,
  ...linalgOps,
  ...normOps,
  ...foldOps,
];

export const atenOps: readonly AtenOp[] = [
  ...builtinsOps,
  ...primOps,
  ...tensorOps,
];
