// The limits in force while aten ops run. The TorchScript runtime sets them for the length of one
// run (runs are synchronous), so code deep inside an op — runOnnx, the list and str builtins,
// the tensor factories — can refuse a size before allocating it, without every op taking a
// context argument. Outside a run the defaults apply.

import { checkLimit, DEFAULT_LIMITS, type ResourceLimits } from '../../src/limits.js';

let active: ResourceLimits = DEFAULT_LIMITS;

/** Runs `body` with `limits` in force for every aten op it calls; restores the previous ones after. */
export function withOpLimits<T>(limits: ResourceLimits, body: () => T): T {
  const previous = active;
  active = limits;
  try {
    return body();
  } finally {
    active = previous;
  }
}

export function opLimits(): ResourceLimits {
  return active;
}

/**
 * Refuses a tensor of `n` elements (`where` names the op) before it is allocated. `where` may be
 * a function that builds the message: then it is built only when the size is refused (hot ops
 * check every output, and formatting its dims each time cost more than the check).
 */
export function checkTensorElements(n: number, where: string | (() => string)): void {
  if (n > active.maxTensorElements) checkLimit(active, 'maxTensorElements', n, typeof where === 'string' ? where : where());
}

/** The element count of `dims`, refused over maxTensorElements (-1, "infer this dim", counts as 1). */
export function checkTensorDims(dims: readonly number[], where: string | (() => string)): void {
  let n = 1;
  for (const d of dims) {
    if (d === 0) return;
    n *= d > 1 ? d : 1;
  }
  checkTensorElements(n, where);
}

/** Refuses a list, str or dict of `n` items before it is built. */
export function checkSequenceLength(n: number, where: string): void {
  if (n > active.maxSequenceLength) checkLimit(active, 'maxSequenceLength', n, where);
}

/** Refuses nesting deeper than maxRecursionDepth (for walks over values a program built). */
export function checkValueDepth(depth: number, where: string): void {
  if (depth > active.maxRecursionDepth) checkLimit(active, 'maxRecursionDepth', depth, where);
}
