// Support vector machines (ai.onnx.ml SVMClassifier / SVMRegressor), libsvm conventions:
// kernels LINEAR <x,s>, POLY (gamma <x,s> + coef0)^degree, RBF exp(-gamma |x-s|^2),
// SIGMOID tanh(gamma <x,s> + coef0).

export const enum SvmKernel { LINEAR = 0, POLY = 1, RBF = 2, SIGMOID = 3 }

export interface SvmKernelParams {
  readonly kind: SvmKernel;
  readonly gamma: number;
  readonly coef0: number;
  readonly degree: number;
}

/** k[r * nSv + i] = K(x row r, support vector i). */
export function kernelMatrix(
  x: ArrayLike<number>, rows: number, cols: number, sv: Float64Array, nSv: number, p: SvmKernelParams, k: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = r * cols;
    for (let i = 0; i < nSv; i++) {
      const so = i * cols;
      let v = 0;
      if (p.kind === SvmKernel.RBF) {
        for (let j = 0; j < cols; j++) {
          const d = x[xo + j]! - sv[so + j]!;
          v += d * d;
        }
        v = Math.exp(-p.gamma * v);
      } else {
        for (let j = 0; j < cols; j++) v += x[xo + j]! * sv[so + j]!;
        if (p.kind === SvmKernel.POLY) v = Math.pow(p.gamma * v + p.coef0, p.degree);
        else if (p.kind === SvmKernel.SIGMOID) v = Math.tanh(p.gamma * v + p.coef0);
      }
      k[r * nSv + i] = v;
    }
  }
}

/** SVMRegressor: out[r] = sum_i coef[i] k[r, i] + rho. */
export function svmRegress(k: Float64Array, rows: number, nSv: number, coef: Float64Array, rho: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    let s = rho;
    for (let i = 0; i < nSv; i++) s += coef[i]! * k[r * nSv + i]!;
    out[r] = s;
  }
}

/**
 * One-vs-one decision values (libsvm order: pairs (0,1), (0,2), ..., (1,2), ...):
 * dec[r, p] = sum_{s in class a} coef[(b-1) nSv + s] k[r, s] + sum_{s in class b} coef[a nSv + s] k[r, s] + rho[p];
 * a positive value votes for class a. label[r] = the class with the most votes (lowest on ties).
 */
export function svmOneVsOne(
  k: Float64Array, rows: number, nSv: number, classStart: Int32Array, coef: Float64Array, rho: Float64Array,
  dec: Float64Array, label: Int32Array, votes: Int32Array,
): void {
  const nc = classStart.length - 1;
  const np = (nc * (nc - 1)) / 2;
  for (let r = 0; r < rows; r++) {
    votes.fill(0);
    let p = 0;
    for (let a = 0; a < nc; a++) {
      for (let b = a + 1; b < nc; b++, p++) {
        let s = rho[p]!;
        for (let i = classStart[a]!; i < classStart[a + 1]!; i++) s += coef[(b - 1) * nSv + i]! * k[r * nSv + i]!;
        for (let i = classStart[b]!; i < classStart[b + 1]!; i++) s += coef[a * nSv + i]! * k[r * nSv + i]!;
        dec[r * np + p] = s;
        votes[s > 0 ? a : b]! += 1;
      }
    }
    let best = 0;
    for (let c = 1; c < nc; c++) if (votes[c]! > votes[best]!) best = c;
    label[r] = best;
  }
}

/** One-class SVM output: +1 where the decision value is > 0, else -1. */
export function signRows(v: Float64Array): void {
  for (let i = 0; i < v.length; i++) v[i] = v[i]! > 0 ? 1 : -1;
}

/** libsvm's sigmoid_predict: 1 / (1 + exp(dec * A + B)), computed stably. */
function sigmoidPredict(dec: number, a: number, b: number): number {
  const f = dec * a + b;
  return f >= 0 ? Math.exp(-f) / (1 + Math.exp(-f)) : 1 / (1 + Math.exp(f));
}

/**
 * Platt-scaled pairwise probabilities coupled into class probabilities (libsvm's
 * svm_predict_probability / multiclass_probability) into out[row * nc + class].
 */
export function svmProbabilities(
  dec: Float64Array, rows: number, nc: number, probA: Float64Array, probB: Float64Array, out: Float64Array,
): void {
  const np = (nc * (nc - 1)) / 2;
  const minProb = 1e-7;
  const rr = new Float64Array(nc * nc); // pairwise r[i][j]
  const Q = new Float64Array(nc * nc);
  const Qp = new Float64Array(nc);
  for (let row = 0; row < rows; row++) {
    let p = 0;
    for (let i = 0; i < nc; i++) {
      for (let j = i + 1; j < nc; j++, p++) {
        const v = Math.min(Math.max(sigmoidPredict(dec[row * np + p]!, probA[p]!, probB[p]!), minProb), 1 - minProb);
        rr[i * nc + j] = v;
        rr[j * nc + i] = 1 - v;
      }
    }
    const o = row * nc;
    if (nc === 2) {
      out[o] = rr[1]!;
      out[o + 1] = rr[2]!;
      continue;
    }
    for (let t = 0; t < nc; t++) {
      out[o + t] = 1 / nc;
      Q[t * nc + t] = 0;
      for (let j = 0; j < t; j++) {
        Q[t * nc + t] += rr[j * nc + t]! * rr[j * nc + t]!;
        Q[t * nc + j] = Q[j * nc + t]!;
      }
      for (let j = t + 1; j < nc; j++) {
        Q[t * nc + t] += rr[j * nc + t]! * rr[j * nc + t]!;
        Q[t * nc + j] = -rr[j * nc + t]! * rr[t * nc + j]!;
      }
    }
    const eps = 0.005 / nc;
    const maxIter = Math.max(100, nc);
    for (let iter = 0; iter < maxIter; iter++) {
      let pQp = 0;
      for (let t = 0; t < nc; t++) {
        Qp[t] = 0;
        for (let j = 0; j < nc; j++) Qp[t] += Q[t * nc + j]! * out[o + j]!;
        pQp += out[o + t]! * Qp[t]!;
      }
      let maxError = 0;
      for (let t = 0; t < nc; t++) maxError = Math.max(maxError, Math.abs(Qp[t]! - pQp));
      if (maxError < eps) break;
      for (let t = 0; t < nc; t++) {
        const diff = (-Qp[t]! + pQp) / Q[t * nc + t]!;
        out[o + t] += diff;
        pQp = (pQp + diff * (diff * Q[t * nc + t]! + 2 * Qp[t]!)) / (1 + diff) / (1 + diff);
        for (let j = 0; j < nc; j++) {
          Qp[j] = (Qp[j]! + diff * Q[t * nc + j]!) / (1 + diff);
          out[o + j] /= 1 + diff;
        }
      }
    }
  }
}
