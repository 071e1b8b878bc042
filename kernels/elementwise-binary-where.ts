// Where(condition, X, Y) with three-way numpy broadcasting, for any element type
// (number-backed typed arrays, BigInt arrays, string arrays).

import type { BroadcastPlan } from './elementwise-binary-plan.js';

type Elements<T> = { [i: number]: T; readonly length: number };

/** out[i] = cond ? x : y over the broadcast plan of [cond, x, y]. */
export function whereKernel<T>(
  cond: Uint8Array, x: Elements<T>, y: Elements<T>, out: Elements<T>, plan: BroadcastPlan,
): void {
  const { rows, inner: n } = plan;
  const offC = plan.offsets[0]!;
  const offX = plan.offsets[1]!;
  const offY = plan.offsets[2]!;
  const sc = plan.steps[0]!;
  const sx = plan.steps[1]!;
  const sy = plan.steps[2]!;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let ic = offC[r]!;
    let ix = offX[r]!;
    let iy = offY[r]!;
    if (sc === 0) {
      // One condition per row: a block copy from one side.
      const src = cond[ic] ? x : y;
      let is = cond[ic] ? ix : iy;
      const ss = cond[ic] ? sx : sy;
      for (let i = 0; i < n; i++, is += ss) out[o + i] = src[is]!;
      continue;
    }
    for (let i = 0; i < n; i++, ic++, ix += sx, iy += sy) out[o + i] = cond[ic] ? x[ix]! : y[iy]!;
  }
}
