import type { OpDef } from '../op-def.js';

/** ai.onnx.ml operators. */
export const mlOps: OpDef[] = [];
