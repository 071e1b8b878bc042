// Reading a node's inputs: required inputs, axes and integer lists, with errors naming the op.

import { normalizeAxis } from '../kernels/strides.js';
import { InvalidNodeError } from '../src/errors.js';
import type { Tensor } from '../src/tensor.js';

/** Axis in [0, rank) from a possibly negative axis, or an InvalidNodeError naming the op. */
export function checkedAxis(opName: string, axis: number, rank: number): number {
  const a = normalizeAxis(axis, rank);
  if (a < 0) throw new InvalidNodeError(`${opName}: axis ${axis} out of range [${-rank}, ${rank})`);
  return a;
}

/** The input, or an error naming the op when it is missing. */
export function required(opName: string, t: Tensor | undefined, what: string): Tensor {
  if (!t) throw new InvalidNodeError(`${opName}: input '${what}' is required`);
  return t;
}

/** Reads a 1-D (or scalar) int tensor as numbers. */
export function intList(t: Tensor): number[] {
  if (t.type === 'string' || t.type === 'bool') throw new InvalidNodeError(`expected an integer tensor, got ${t.type}`);
  return t.toNumbers();
}
