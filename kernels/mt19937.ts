// MT19937 as numpy's legacy global generator runs it (np.random.seed(s) with an integer s,
// then np.random.uniform / random_sample), so seeded ops can reproduce numpy's streams
// exactly: init_genrand seeding, standard tempering, and 53-bit doubles from two draws.

const N = 624;
const M = 397;

export interface Mt19937 {
  readonly mt: Uint32Array;
  index: number;
}

export function mt19937(seed: number): Mt19937 {
  const mt = new Uint32Array(N);
  mt[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
    mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
  }
  return { mt, index: N };
}

function twist(s: Mt19937): void {
  const mt = s.mt;
  for (let i = 0; i < N; i++) {
    const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff);
    let v = mt[(i + M) % N]! ^ (y >>> 1);
    if (y & 1) v ^= 0x9908b0df;
    mt[i] = v >>> 0;
  }
  s.index = 0;
}

export function mt19937Uint32(s: Mt19937): number {
  if (s.index >= N) twist(s);
  let y = s.mt[s.index++]!;
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/** Fills `out` with doubles in [0, 1) as numpy's random_sample does (53 random bits each). */
export function mt19937FillUniform(s: Mt19937, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    const a = mt19937Uint32(s) >>> 5;
    const b = mt19937Uint32(s) >>> 6;
    out[i] = (a * 67108864 + b) / 9007199254740992;
  }
}
