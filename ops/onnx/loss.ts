import type { OpDef } from '../op-def.js';

export const lossOps: OpDef[] = [];
