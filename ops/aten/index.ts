// Every aten / prim operator the TorchScript interpreter can call, in one table.

import type { AtenOp } from './aten-op.js';
import { builtinsOps } from './builtins.js';
import { primOps } from './prim.js';

export const atenOps: readonly AtenOp[] = [
  ...builtinsOps,
  ...primOps,
];
