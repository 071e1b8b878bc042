// Blocked GEMM driver for one micro-kernel tile (see gen.mjs); F64=1 uses Float64Array panels.
import * as K from './mk.mjs';
const [MR, NR] = process.argv[2].split('x').map(Number);
const mk = K[`mk${MR}x${NR}`];
const MC = +(process.env.MC ?? 64), KC = +(process.env.KC ?? 256), NC = +(process.env.NC ?? 256);
const PT = process.env.F64 ? Float64Array : Float32Array; let pa = new PT(0), pb = new PT(0);
function packA(a, lda, ic, mc, pc, kc, pa) {
  let q = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    for (let p = 0; p < kc; p++) {
      const s = (ic + ir) * lda + pc + p;
      let i = 0;
      for (; i < mr; i++) pa[q + i] = a[s + i * lda];
      for (; i < MR; i++) pa[q + i] = 0;
      q += MR;
    }
  }
}
function packB(b, ldb, pc, kc, jc, nc, pb) {
  let q = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    for (let p = 0; p < kc; p++) {
      const s = (pc + p) * ldb + jc + jr;
      let j = 0;
      for (; j < nr; j++) pb[q + j] = b[s + j];
      for (; j < NR; j++) pb[q + j] = 0;
      q += NR;
    }
  }
}
const edge = new Float32Array(MR * NR);
function gemm(a, b, c, m, n, k) {
  const kcMax = Math.ceil(k / Math.ceil(k / KC));
  if (pa.length < MC * kcMax + MR * kcMax) pa = new PT(MC * kcMax + MR*kcMax);
  if (pb.length < (NC + NR) * kcMax) pb = new PT((NC + NR) * kcMax);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      packB(b, n, pc, kc, jc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(a, k, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const ci = (ic + ir) * n + jc + jr;
            if (mr === MR && nr === NR) mk(pa, ir * kc, pb, jr * kc, kc, c, ci, n, pc > 0);
            else {
              mk(pa, ir * kc, pb, jr * kc, kc, edge, 0, NR, false);
              for (let i = 0; i < mr; i++) for (let j = 0; j < nr; j++) {
                if (pc > 0) c[ci + i * n + j] += edge[i * NR + j]; else c[ci + i * n + j] = edge[i * NR + j];
              }
            }
          }
        }
      }
    }
  }
}
function vals(n, seed) { const o = new Float32Array(n); let s = seed; for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) | 0; o[i] = (s >>> 8) / (1 << 23) - 1; } return o; }
const shapes = JSON.parse(process.argv[3]);
const res = [];
for (const [m, k, n] of shapes) {
  const a = vals(m * k, 1), b = vals(k * n, 2), c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  let reps = Math.max(1, Math.round(1e8 / flops));
  gemm(a, b, c, m, n, k);
  // check
  let i = 7 % m, j = 13 % n, s = 0; for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
  if (Math.abs(s - c[i * n + j]) > 1e-3 * Math.max(1, Math.abs(s))) throw new Error('wrong');
  let best = Infinity;
  for (let r = 0; r < 3; r++) { const t0 = process.cpuUsage(); for (let q = 0; q < reps; q++) gemm(a, b, c, m, n, k); const d = process.cpuUsage(t0); best = Math.min(best, (d.user + d.system) / 1000 / reps); }
  res.push(flops / best / 1e6);
}
console.log(JSON.stringify(res));
