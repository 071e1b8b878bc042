import type { OpDef } from '../op-def.js';

export const attentionOps: OpDef[] = [];
