// Where a run's time goes: per-node wall time, op type (with what was fused into it), output shape,
// and time by op type; peak live tensor bytes. Filled by execute.ts while a session profiles
// (InferenceSession.startProfiling / endProfiling, `tessera run --profile`).

export interface NodeProfile {
  /** The node's name, or its first output when it has none. */
  readonly name: string;
  /** The op type; a fused step reads e.g. 'Conv+Relu'. */
  readonly opType: string;
  /** Total milliseconds over the profiled runs. */
  ms: number;
  calls: number;
  /** Dims of the first output in the last run (empty for non-tensors). */
  shape: readonly number[];
}

export interface ProfileReport {
  readonly runs: number;
  readonly totalMs: number;
  /** Most live tensor bytes at once in any profiled run (weights included). */
  readonly peakBytes: number;
  /** Top-level nodes in plan order (a Loop's body is inside its Loop's time). */
  readonly nodes: readonly NodeProfile[];
  /** Time by op type, largest first. */
  readonly byOpType: readonly { readonly opType: string; readonly ms: number; readonly nodes: number; readonly share: number }[];
}

/** Collects profiles across runs until report(). */
export class Profiler {
  private readonly nodes = new Map<object, NodeProfile>();
  runs = 0;
  peakBytes = 0;

  node(key: object, name: string, opType: string): NodeProfile {
    let p = this.nodes.get(key);
    if (!p) this.nodes.set(key, (p = { name, opType, ms: 0, calls: 0, shape: [] }));
    return p;
  }

  report(): ProfileReport {
    const nodes = [...this.nodes.values()];
    const totalMs = nodes.reduce((a, n) => a + n.ms, 0);
    const by = new Map<string, { ms: number; nodes: number }>();
    for (const n of nodes) {
      const e = by.get(n.opType) ?? { ms: 0, nodes: 0 };
      e.ms += n.ms;
      e.nodes++;
      by.set(n.opType, e);
    }
    const byOpType = [...by].map(([opType, e]) => ({ opType, ms: e.ms, nodes: e.nodes, share: totalMs > 0 ? e.ms / totalMs : 0 }))
      .sort((a, b) => b.ms - a.ms);
    return { runs: this.runs, totalMs, peakBytes: this.peakBytes, nodes, byOpType };
  }
}

/** The report as text: time by op type, then the slowest nodes. */
export function formatProfile(r: ProfileReport, top = 20): string[] {
  const ms = (x: number) => (x / Math.max(r.runs, 1)).toFixed(3).padStart(10);
  const lines = [
    `profile: ${r.runs} run(s), ${(r.totalMs / Math.max(r.runs, 1)).toFixed(2)} ms per run in ${r.nodes.length} nodes; peak live tensors ${(r.peakBytes / 2 ** 20).toFixed(1)} MiB`,
    '',
    `${'op type'.padEnd(24)} ${'ms/run'.padStart(10)} ${'share'.padStart(7)} nodes`,
  ];
  for (const o of r.byOpType) lines.push(`${o.opType.padEnd(24)} ${ms(o.ms)} ${(100 * o.share).toFixed(1).padStart(6)}% ${o.nodes}`);
  lines.push('', `slowest ${Math.min(top, r.nodes.length)} nodes:`, `${'ms/run'.padStart(10)}  ${'op type'.padEnd(20)} ${'output'.padEnd(20)} node`);
  for (const n of [...r.nodes].sort((a, b) => b.ms - a.ms).slice(0, top)) {
    lines.push(`${ms(n.ms)}  ${n.opType.padEnd(20)} ${`[${n.shape.join(', ')}]`.padEnd(20)} ${n.name}`);
  }
  return lines;
}
