// One budget for everything a model file can make tessera do: memory, tensor sizes, graph size,
// loop iterations, TorchScript container sizes, nesting depth and wall time. The same names are
// accepted by InferenceSession.create, torchLoad, loadTorchScript and the CLI (--max-memory, ...).
// A breach is a ResourceLimitError naming the limit, where it happened and the value that broke it.

import { InvalidArgumentError, ResourceLimitError } from './errors.js';

export interface ResourceLimits {
  /** Bytes a session may hold at once: weights, external data and live activations. */
  readonly maxMemoryBytes: number;
  /** Elements of any one tensor (or TorchScript list/string/dict). */
  readonly maxTensorElements: number;
  /** Nodes in a model: its graph, every subgraph and every function body together. */
  readonly maxNodes: number;
  /**
   * Loop iterations in one run: every ONNX Loop/Scan step and TorchScript loop iteration counted
   * together, so nested loops cannot multiply past it (a trip count over it is refused up front).
   */
  readonly maxLoopIterations: number;
  /** Elements of one TorchScript list, characters of one string, entries of one dict. */
  readonly maxSequenceLength: number;
  /** Nesting: parser depth, call depth, subgraph depth, pickle/protobuf nesting. */
  readonly maxRecursionDepth: number;
  /** Wall time of one run in milliseconds; 0 means no limit. */
  readonly timeoutMs: number;
}

export const DEFAULT_LIMITS: ResourceLimits = Object.freeze({
  maxMemoryBytes: 4 * 2 ** 30,
  maxTensorElements: 2 ** 28,
  maxNodes: 1_000_000,
  maxLoopIterations: 100_000,
  maxSequenceLength: 2 ** 22,
  maxRecursionDepth: 500,
  timeoutMs: 0,
});

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof ResourceLimits)[];

/** The defaults with `overrides` applied; every override must be a non-negative number. */
export function resolveLimits(overrides?: Partial<ResourceLimits>): ResourceLimits {
  if (overrides === undefined) return DEFAULT_LIMITS;
  if (overrides === null || typeof overrides !== 'object') {
    throw new InvalidArgumentError(`limits: expected an object such as { maxMemoryBytes: 2 ** 30 }, got ${overrides === null ? 'null' : typeof overrides}`);
  }
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(overrides)) {
    if (!(LIMIT_NAMES as string[]).includes(key)) {
      throw new InvalidArgumentError(`limits: unknown limit '${key}' (known: ${LIMIT_NAMES.join(', ')})`);
    }
    const v = (overrides as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0)) throw new InvalidArgumentError(`limits.${key}: expected a non-negative number, got ${String(v)}`);
    out[key] = v;
  }
  return Object.freeze(out) as unknown as ResourceLimits;
}

/** Throws a ResourceLimitError when `value` exceeds `limits[limit]`. `where` names the node, op or source line. */
export function checkLimit(limits: ResourceLimits, limit: keyof ResourceLimits, value: number, where: string): void {
  const max = limits[limit];
  if (value > max) throw new ResourceLimitError(`${where}: ${describe(limit, value)} exceeds the limit ${limit} = ${max}`, limit, value, max);
}

function describe(limit: keyof ResourceLimits, value: number): string {
  switch (limit) {
    case 'maxMemoryBytes': return `${value} bytes`;
    case 'maxTensorElements': return `${value} elements`;
    case 'maxNodes': return `${value} nodes`;
    case 'maxLoopIterations': return `${value} iterations`;
    case 'maxSequenceLength': return `a length of ${value}`;
    case 'maxRecursionDepth': return `nesting depth ${value}`;
    case 'timeoutMs': return `${value} ms`;
  }
}
