// One run of a model that reports every step as it happens, for `tessera trace` and `tessera
// compare`: each ONNX node (subgraph bodies and model-local functions included) with its input and
// output values, or each aten/prim call of a TorchScript model with the source line it came from.
//
// ONNX: the model is planned as written (graphOptimizationLevel 'disabled', so a Relu fused into
// its Conv still shows) over a registry whose definitions are the session's own, each wrapped to
// report after it ran. TorchScript: the module's ScriptRuntime has its callOp wrapped on this
// one instance, and the run's RunControl remembers the statement it polled last, which names the
// line of calls written as Python operators (`x + y`, whose call carries no position).
// Observers see values the moment they are made: the activation arena and the aten slabs reuse
// storage afterwards, so whatever an observer keeps it must copy.

import { InferenceSession, defaultOpRegistry } from '../api/session.js';
import { modelOpKeys } from '../runtime/registry.js';
import { InvalidArgumentError, ModelFormatError } from '../errors.js';
import { loadOnnxModel } from '../formats/onnx/load.js';
import { looksLikeTorchFile } from '../formats/pickle/index.js';
import { looksLikeTorchScript } from '../formats/torchscript/index.js';
import type { Pos } from '../ir/torchscript-ast.js';
import { TsObject, TsTuple, type TsValue } from '../ir/torchscript-values.js';
import type { Model } from '../ir/graph.js';
import { type ResourceLimits, resolveLimits } from '../limits.js';
import { RunControl } from '../run-control.js';
import { readModelFile } from '../node.js';
import { resolveBackend } from '../runtime/backend.js';
import { OpRegistry } from '../runtime/registry.js';
import { flatten } from '../runtime/torchscript/session.js';
import { Tensor } from '../tensor.js';
import type { OpDef } from '../../ops/op-def.js';
import { withGemmEngine } from '../../ops/engine.js';
import type { Value } from '../value.js';

/** What a step read or made: a tensor, a list or sequence, None, or (TorchScript) any script value. */
export type StepValue = Value | TsValue | undefined;

/** One step of a traced run. */
export interface StepRecord {
  /** 0, 1, ... in the order steps finished (a subgraph's nodes finish before their If / Loop). */
  readonly index: number;
  /** 'Conv', 'com.microsoft::FusedMatMul', 'aten::conv2d'. */
  readonly op: string;
  /** The ONNX node's name ('' when it has none). */
  readonly node: string;
  /** TorchScript: 'code/__torch__/model.py:12' where the call is written. */
  readonly where?: string;
  /** Nesting: 0 for the main graph, 1 inside an If/Loop/Scan body or function, ... */
  readonly depth: number;
  readonly inputs: readonly (readonly [string, StepValue])[];
  readonly outputs: readonly (readonly [string, StepValue])[];
}

/** Sees each step; returning true stops the run there. */
export type StepObserver = (step: StepRecord) => boolean | void;

export interface TracedRunOptions {
  readonly limits?: Partial<ResourceLimits>;
  readonly providers?: readonly string[];
  /**
   * A state dict to run the model with: each tensor replaces the ONNX initializer, or the
   * TorchScript module attribute ('layer1.0.conv1.weight'), of its name, when dtype and shape agree.
   */
  readonly weights?: ReadonlyMap<string, Tensor>;
}

/** Which of TracedRunOptions.weights took a model's tensor's place, and why the others did not. */
export interface AppliedWeights {
  readonly applied: readonly string[];
  readonly skipped: readonly string[];
}

export interface TracedRun {
  readonly format: 'onnx' | 'torchscript';
  readonly backend: string;
  /** The session (planned as written), for its input metadata. */
  readonly session: InferenceSession;
  /** Set when options.weights were given. */
  readonly weights?: AppliedWeights;
  /** Runs once with `feeds`; outputs are empty when the observer stopped the run. */
  run(feeds: Record<string, Tensor>, observe: StepObserver): Promise<{ outputs: Record<string, Tensor>; stopped: boolean }>;
}

/** Thrown by a wrapped step when the observer asks to stop; caught by run(). */
class StopRun extends Error {}

/** The default registry's definitions, each reporting to `onStep` after it ran (one wrapper per definition). */
class ObservedRegistry extends OpRegistry {
  private readonly wrapped = new Map<OpDef, OpDef>();
  depth = 0;
  constructor(private readonly base: OpRegistry, private readonly onStep: (def: OpDef, inputs: readonly StepValue[], outputs: readonly Value[], node: { name: string; opType: string; domain: string; inputs: readonly string[]; outputs: readonly string[] }, depth: number) => void) {
    super([]);
  }

  override resolve(domain: string, name: string, opset: number): OpDef | undefined {
    const def = this.base.resolve(domain, name, opset);
    if (def === undefined) return undefined;
    let w = this.wrapped.get(def);
    if (w === undefined) {
      w = {
        ...def,
        run: (inputs, attrs, ctx) => {
          const depth = this.depth++;
          let outputs: Value[];
          try {
            outputs = def.run(inputs, attrs, ctx);
          } finally {
            this.depth--;
          }
          this.onStep(def, inputs, outputs, ctx.node, depth);
          return outputs;
        },
      };
      this.wrapped.set(def, w);
    }
    return w;
  }

  override has(domain: string, name: string): boolean {
    return this.base.has(domain, name);
  }

  override keys(): string[] {
    return this.base.keys();
  }
}

/** A RunControl that remembers the last statement the interpreter polled ('file:line'). */
class WhereControl extends RunControl {
  where = '';
  override poll(where: string): void {
    this.where = where;
    super.poll(where);
  }
}

/** Loads MODEL (ONNX or TorchScript) for traced runs; a torch.save pickle is refused by name. */
export async function openTracedRun(path: string, options: TracedRunOptions = {}): Promise<TracedRun> {
  const file = await readModelFile(path, options.limits);
  const bytes = file.bytes;
  const providers = options.providers ? [...options.providers] : undefined;
  const backend = resolveBackend(providers, path);
  if (looksLikeTorchScript(bytes)) return tracedTorchScript(bytes, options, providers, backend);
  if (looksLikeTorchFile(bytes)) {
    throw new ModelFormatError(`${path}: a torch.save pickle (weights or a checkpoint), not a runnable model; tessera inspect lists its tensors`);
  }
  const loaded = await loadOnnxModel(bytes, { externalRange: file.externalRange, ...(options.limits ? { limits: resolveLimits(options.limits) } : {}) });
  const { model, weights } = options.weights ? onnxWithWeights(loaded, options.weights) : { model: loaded, weights: undefined };
  await defaultOpRegistry().loadFor(modelOpKeys(model)); // the optional op families fromModel plans with
  let observe: StepObserver = () => false;
  let index = 0;
  let stop = false;
  const registry = new ObservedRegistry(defaultOpRegistry(), (def, inputs, outputs, node, depth) => {
    const record: StepRecord = {
      index: index++,
      op: def.domain ? `${def.domain}::${def.name}` : def.name,
      node: node.name,
      depth,
      inputs: node.inputs.map((n, i) => [n, inputs[i]] as const).filter(([n]) => n !== ''),
      outputs: node.outputs.map((n, i) => [n, outputs[i]] as const).filter(([n]) => n !== ''),
    };
    if (observe(record) === true) {
      stop = true;
      throw new StopRun('stopped by the trace');
    }
  });
  const session = InferenceSession.fromModel(model, registry, options.limits, { graphOptimizationLevel: 'disabled' }, providers);
  return {
    format: 'onnx', backend: session.backend, session, ...(weights ? { weights } : {}),
    async run(feeds, o) {
      observe = o;
      index = 0;
      stop = false;
      registry.depth = 0;
      try {
        return { outputs: await session.run(feeds), stopped: false };
      } catch (e) {
        if (stop) return { outputs: {}, stopped: true };
        throw e;
      }
    },
  };
}

async function tracedTorchScript(
  bytes: Uint8Array, options: TracedRunOptions, providers: string[] | undefined, backend: ReturnType<typeof resolveBackend>,
): Promise<TracedRun> {
  const session = await InferenceSession.create(bytes, {
    graphOptimizationLevel: 'disabled', ...(options.limits ? { limits: options.limits } : {}), ...(providers ? { executionProviders: providers } : {}),
  });
  const module = session.module!;
  const weights = options.weights ? applyModuleWeights(module.root, options.weights) : undefined;
  const rt = module.runtime;
  const callOp = rt.callOp.bind(rt);
  return {
    format: 'torchscript', backend: backend.name, session, ...(weights ? { weights } : {}),
    async run(feeds, observe) {
      const control = new WhereControl(module.limits);
      let index = 0;
      let stop = false;
      rt.callOp = (name, args, kwargs, cache, pos?: Pos) => {
        const out = callOp(name, args, kwargs, cache, pos);
        const inputs: [string, StepValue][] = args.map((a, i) => [`#${i}`, a]);
        for (const [k, v] of kwargs ?? []) inputs.push([k, v]);
        const outputs: [string, StepValue][] = out instanceof TsTuple ? out.items.map((v, i) => [`#${i}`, v]) : [['#0', out]];
        const record: StepRecord = { index: index++, op: name, node: '', where: pos ? `${pos.file}:${pos.line}` : control.where, depth: 0, inputs, outputs };
        if (observe(record) === true) {
          stop = true;
          throw new StopRun('stopped by the trace');
        }
        return out;
      };
      try {
        const args = session.inputMetadata.filter((m) => Object.hasOwn(feeds, m.name)).map((m) => scriptArgument(feeds[m.name]!, m));
        const result = withGemmEngine(backend.engine, () => rt.run(control, () => module.call('forward', args)));
        const outputs: Record<string, Tensor> = {};
        flatten(result, 'out', outputs, module.limits.maxRecursionDepth);
        return { outputs, stopped: false };
      } catch (e) {
        if (stop) return { outputs: {}, stopped: true };
        throw e;
      } finally {
        rt.callOp = callOp;
      }
    },
  };
}

const sameType = (a: Tensor, b: Tensor): boolean => a.type === b.type && a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
const typeText = (t: Tensor): string => `${t.type}[${t.dims.join(', ')}]`;

/** The model with each same-named, same-typed initializer replaced by the state dict's tensor. */
function onnxWithWeights(model: Model, weights: ReadonlyMap<string, Tensor>): { model: Model; weights: AppliedWeights } {
  const inits = new Map(model.graph.initializers);
  const applied: string[] = [];
  const skipped: string[] = [];
  for (const [name, t] of weights) {
    const cur = inits.get(name);
    if (!cur) skipped.push(`${name}: no initializer of that name`);
    else if (!sameType(cur, t)) skipped.push(`${name}: ${typeText(t)}, the initializer is ${typeText(cur)}`);
    else {
      inits.set(name, t);
      applied.push(name);
    }
  }
  return { model: { ...model, graph: { ...model.graph, initializers: inits } }, weights: { applied, skipped } };
}

/** Sets each dotted name's tensor attribute on the module tree, where it exists with the same dtype and shape. */
function applyModuleWeights(root: TsObject, weights: ReadonlyMap<string, Tensor>): AppliedWeights {
  const applied: string[] = [];
  const skipped: string[] = [];
  for (const [name, t] of weights) {
    const path = name.split('.');
    let obj: TsObject | undefined = root;
    for (const part of path.slice(0, -1)) {
      const next: TsValue | undefined = obj.attributes.get(part);
      obj = next instanceof TsObject ? next : undefined;
      if (!obj) break;
    }
    const leaf = path[path.length - 1]!;
    const cur = obj?.attributes.get(leaf);
    if (!(cur instanceof Tensor)) skipped.push(`${name}: the module has no tensor of that name`);
    else if (!sameType(cur, t)) skipped.push(`${name}: ${typeText(t)}, the module's is ${typeText(cur)}`);
    else {
      obj!.attributes.set(leaf, t);
      applied.push(name);
    }
  }
  return { applied, skipped };
}

/** A fed tensor as forward's parameter: a one-element tensor becomes the int, float or bool the parameter declares. */
function scriptArgument(t: Tensor, meta: { readonly name: string; readonly isTensor: boolean; readonly type?: string }): TsValue {
  if (meta.isTensor || meta.type === undefined) return t;
  if (t.size !== 1 || t.type === 'string') throw new InvalidArgumentError(`input '${meta.name}' is a ${meta.type} scalar: feed a tensor with one element`);
  const x = Number((t.data as ArrayLike<number | bigint>)[0]!);
  if (meta.type === 'int64') return BigInt(Math.trunc(x));
  if (meta.type === 'bool') return x !== 0;
  return x;
}
