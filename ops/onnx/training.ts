// ai.onnx.preview.training optimizers: Adagrad, Momentum (standard and Nesterov), Adam.
// Inputs are R (learning rate scalar), T (int64 update count scalar), then the tensors to optimize
// and their gradients and states, grouped by kind: Adagrad X1..Xn, G1..Gn, H1..Hn -> X'.., H'..;
// Momentum X.., G.., V.. -> X'.., V'..; Adam X.., G.., V.., H.. -> X'.., V'.., H'...

import {
  type OptimizerArray, adagradStep, adamLearningRate, adamStep, momentumStep,
} from '../../kernels/optimizer.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor } from '../compute.js';
import { type InferFn, type OpDef, op } from '../op-def.js';

const DOMAIN = 'ai.onnx.preview.training';

function scalar(name: string, t: Tensor | undefined, what: string): number {
  if (t === undefined || t.size !== 1) {
    throw new InvalidNodeError(`${name}: ${what} must be a scalar, got ${t === undefined ? 'nothing' : `[${t.dims.join(', ')}]`}`);
  }
  return t.toNumbers()[0]!;
}

/** Splits inputs 2.. into `kinds` equally long groups of float tensors sharing a shape per index. */
function groups(name: string, inputs: readonly (Tensor | undefined)[], kinds: number): Tensor[][] {
  const rest = inputs.slice(2);
  if (rest.length === 0 || rest.length % kinds !== 0) {
    throw new InvalidNodeError(`${name}: expected R, T and ${kinds} equal groups of tensors, got ${inputs.length} inputs`);
  }
  const n = rest.length / kinds;
  const out: Tensor[][] = [];
  for (let k = 0; k < kinds; k++) {
    const group: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      const t = rest[k * n + i];
      if (t === undefined || !isFloatType(t.type)) throw new InvalidNodeError(`${name}: input ${2 + k * n + i} must be a float tensor`);
      const first = rest[i]!;
      if (t.dims.join() !== first.dims.join()) {
        throw new ShapeError(`${name}: input ${2 + k * n + i} has shape [${t.dims.join(', ')}], expected [${first.dims.join(', ')}]`);
      }
      group.push(t);
    }
    out.push(group);
  }
  return out;
}

interface AdagradAttrs { readonly decayFactor: number; readonly epsilon: number; readonly normCoefficient: number }
interface MomentumAttrs { readonly alpha: number; readonly beta: number; readonly nesterov: boolean; readonly normCoefficient: number }
interface AdamAttrs {
  readonly alpha: number; readonly beta: number; readonly epsilon: number;
  readonly normCoefficient: number; readonly normCoefficientPost: number;
}

/**
 * Optimizer outputs: of inputs 2.. split into `kinds` groups, the updated groups `updated` in order,
 * each output with its input's type.
 */
function inferGroups(kinds: number, updated: readonly number[]): InferFn<unknown> {
  return (inputs) => {
    const rest = inputs.slice(2);
    if (rest.length === 0 || rest.length % kinds !== 0) return [];
    const n = rest.length / kinds;
    return updated.flatMap((k) => rest.slice(k * n, (k + 1) * n).map((x) => x?.type));
  };
}

function buffers(t: Tensor, count: number): OptimizerArray[] {
  return Array.from({ length: count }, () => allocFloat(t.type, t.size));
}

export const trainingOps: OpDef[] = [
  op<AdagradAttrs>({
    name: 'Adagrad', domain: DOMAIN, since: 1,
    parse: (a) => Object.freeze({
      decayFactor: a.float('decay_factor', 0), epsilon: a.float('epsilon', 0), normCoefficient: a.float('norm_coefficient', 0),
    }),
    run: (inputs, attrs) => {
      const r = scalar('Adagrad', inputs[0], 'R');
      const t = scalar('Adagrad', inputs[1], 'T');
      const [xs, gs, hs] = groups('Adagrad', inputs, 3) as [Tensor[], Tensor[], Tensor[]];
      const rAdj = r / (1 + t * attrs.decayFactor);
      const xOut: Tensor[] = [];
      const hOut: Tensor[] = [];
      xs.forEach((x, i) => {
        const h = hs[i]!;
        const [xn, hn] = buffers(x, 2) as [OptimizerArray, OptimizerArray];
        adagradStep(rAdj, floatData(x), floatData(gs[i]!), floatData(h), attrs.normCoefficient, attrs.epsilon, xn, hn);
        xOut.push(floatTensor(x.type, xn, x.dims));
        hOut.push(floatTensor(h.type, hn, h.dims));
      });
      return [...xOut, ...hOut];
    },
    infer: inferGroups(3, [0, 2]),
  }),
  op<MomentumAttrs>({
    name: 'Momentum', domain: DOMAIN, since: 1,
    parse: (a) => {
      const mode = a.string('mode');
      if (mode !== 'standard' && mode !== 'nesterov') {
        throw new InvalidNodeError(`Momentum: mode must be 'standard' or 'nesterov', got '${mode}'`);
      }
      return Object.freeze({
        alpha: a.float('alpha'), beta: a.float('beta'), nesterov: mode === 'nesterov', normCoefficient: a.float('norm_coefficient'),
      });
    },
    run: (inputs, attrs) => {
      const r = scalar('Momentum', inputs[0], 'R');
      const t = scalar('Momentum', inputs[1], 'T');
      const [xs, gs, vs] = groups('Momentum', inputs, 3) as [Tensor[], Tensor[], Tensor[]];
      const beta = t > 0 ? attrs.beta : 1;
      const xOut: Tensor[] = [];
      const vOut: Tensor[] = [];
      xs.forEach((x, i) => {
        const v = vs[i]!;
        const [xn, vn] = buffers(x, 2) as [OptimizerArray, OptimizerArray];
        momentumStep(r, attrs.alpha, beta, attrs.nesterov, floatData(x), floatData(gs[i]!), floatData(v),
          attrs.normCoefficient, xn, vn);
        xOut.push(floatTensor(x.type, xn, x.dims));
        vOut.push(floatTensor(v.type, vn, v.dims));
      });
      return [...xOut, ...vOut];
    },
    infer: inferGroups(3, [0, 2]),
  }),
  op<AdamAttrs>({
    name: 'Adam', domain: DOMAIN, since: 1,
    parse: (a) => Object.freeze({
      alpha: a.float('alpha', 0.9), beta: a.float('beta', 0.999), epsilon: a.float('epsilon', 1e-6),
      normCoefficient: a.float('norm_coefficient', 0), normCoefficientPost: a.float('norm_coefficient_post', 0),
    }),
    run: (inputs, attrs) => {
      const r = scalar('Adam', inputs[0], 'R');
      const t = scalar('Adam', inputs[1], 'T');
      const [xs, gs, vs, hs] = groups('Adam', inputs, 4) as [Tensor[], Tensor[], Tensor[], Tensor[]];
      const rAdj = adamLearningRate(r, t, attrs.alpha, attrs.beta);
      const xOut: Tensor[] = [];
      const vOut: Tensor[] = [];
      const hOut: Tensor[] = [];
      xs.forEach((x, i) => {
        const v = vs[i]!;
        const h = hs[i]!;
        const [xn, vn, hn] = buffers(x, 3) as [OptimizerArray, OptimizerArray, OptimizerArray];
        adamStep(rAdj, attrs.alpha, attrs.beta, attrs.epsilon, attrs.normCoefficient, attrs.normCoefficientPost,
          floatData(x), floatData(gs[i]!), floatData(v), floatData(h), xn, vn, hn);
        xOut.push(floatTensor(x.type, xn, x.dims));
        vOut.push(floatTensor(v.type, vn, v.dims));
        hOut.push(floatTensor(h.type, hn, h.dims));
      });
      return [...xOut, ...vOut, ...hOut];
    },
    infer: inferGroups(4, [0, 2, 3]),
  }),
];
