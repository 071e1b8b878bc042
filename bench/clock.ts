// What the kernel benchmark scripts share: the clock they time with and the values they feed.

/** BENCH_WALL=1 times by wall clock; otherwise by this process's CPU time (steadier on a shared machine). */
export const WALL = process.env.BENCH_WALL === '1';

/** Milliseconds on the benchmark's clock. */
export function now(wall = WALL): number {
  if (wall) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** `n` deterministic values in [-1, 1) from a linear congruential generator seeded with `seed`. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    out[i] = (s >>> 8) / (1 << 23) - 1;
  }
  return out;
}
