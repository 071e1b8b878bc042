import type { AtenOp } from './aten-op.js';

export const primOps: AtenOp[] = [];
