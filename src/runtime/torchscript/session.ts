// A TorchScript archive behind the InferenceSession shape: inputs are forward's parameters,
// outputs its return value flattened depth-first and named by path (out, out.0, out.1.0, out.<key>).

import { type TsKey, TsObject, TsTuple, type TsValue, TsDevice, TsDtype } from '../../../ops/aten/aten-op.js';
import { InvalidArgumentError, UnsupportedOpError } from '../../errors.js';
import { checkLimit, DEFAULT_LIMITS } from '../../limits.js';
import { RunControl, type RunControlOptions } from '../../run-control.js';
import type { DataType } from '../../dtypes.js';
import { Tensor } from '../../tensor.js';
import { type TypeExpr, typeToString } from '../../ir/torchscript-ast.js';
import { loadTorchScript, type LoadTorchScriptOptions, type TorchScriptModule } from './module.js';
import { pyStr } from '../../../ops/aten/py-values.js';
import type { GemmEngine } from '../../../kernels/gemm-f32.js';
import { withGemmEngine } from '../../../ops/engine.js';

/**
 * One input or output, shaped like onnxruntime-web's ValueMetadata. TorchScript annotations carry
 * no dtypes: a Tensor's `type` is absent (unknown until run). Values that are not tensors (int,
 * float, bool, str) have `isTensor: false`; they travel as 0-d tensors, and `type` names the
 * dtype that carries them (int64, float64, bool, string).
 */
export interface TorchScriptValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  /** A tensor element type when known; see above. */
  readonly type?: DataType;
  /** The TorchScript type as written in the archive ('Tensor', 'Optional[Tensor]', 'int', ...). */
  readonly torchScriptType: string;
  readonly optional: boolean;
}

export interface TorchScriptSession {
  readonly inputNames: readonly string[];
  /**
   * Output names derived from forward's return type. Lists and dicts have no static length or
   * keys: they appear under their prefix here, and `run` returns their elements as prefix.i / prefix.key.
   */
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TorchScriptValueMetadata[];
  readonly outputMetadata: readonly TorchScriptValueMetadata[];
  readonly module: TorchScriptModule;
  /**
   * Runs forward under the module's limits. `options.signal` cancels the run (RunCancelledError);
   * `options.timeoutMs` (default limits.timeoutMs) ends it with a ResourceLimitError ('timeoutMs').
   * Either way the session stays usable.
   */
  run(feeds: Record<string, Tensor | null>, options?: RunControlOptions): Promise<Record<string, Tensor>>;
}

const OUT = 'out';

export interface TorchScriptSessionOptions extends LoadTorchScriptOptions {
  /**
   * Refuse at creation an archive whose code names any operator tessera lacks, listing them all
   * with their call sites. By default (false) creation succeeds: TorchScript code carries every
   * branch of the functions it calls, so a missing operator fails with UnsupportedOpError, naming
   * the operator and its call site, only when a call really reaches it.
   */
  readonly strict?: boolean;
  /** The former opt-out of the eager refusal, now the default: `true` overrides `strict`. */
  readonly allowMissingOps?: boolean;
  /** Who runs the float32 GEMMs and convs (default: the JS kernels); see src/runtime/backend.ts. */
  readonly engine?: GemmEngine;
}

/**
 * Loads the archive. With `strict`, fails listing every unimplemented operator the code names;
 * otherwise those fail where a call reaches them.
 */
export function createTorchScriptSession(bytes: Uint8Array, options: TorchScriptSessionOptions = {}): TorchScriptSession {
  const module = loadTorchScript(bytes, options);
  if (module.missingOps.length && options.strict === true && options.allowMissingOps !== true) {
    const list = module.missingOps.map((n) => `${n} (${module.missingOpSites.get(n)})`);
    throw new UnsupportedOpError(
      `TorchScript model calls ${list.length} operator(s) tessera does not implement: ${list.join(', ')}`, module.missingOps,
    );
  }
  const sessionEngine = options.engine;
  const forward = module.method('forward');
  const params = forward.params.slice(1);
  const inputMetadata = params.map((p): TorchScriptValueMetadata => {
    const optional = p.type?.name === 'Optional' || p.default !== null;
    return metadataOf(p.name, p.type, optional);
  });
  const outputMetadata = staticOutputs(forward.returns, OUT, module, 0);
  return {
    module,
    inputNames: params.map((p) => p.name),
    outputNames: outputMetadata.map((o) => o.name),
    inputMetadata,
    outputMetadata,
    async run(feeds, options) {
      const control = new RunControl(module.limits, options?.signal, options?.timeoutMs);
      const known = new Set(params.map((p) => p.name));
      for (const k of Object.keys(feeds)) {
        if (!known.has(k)) throw new InvalidArgumentError(`run: unknown input '${k}' (inputs: ${[...known].join(', ')})`);
      }
      const args: TsValue[] = [];
      const kwargs = new Map<string, TsValue>();
      let positional = true;
      params.forEach((p, i) => {
        const meta = inputMetadata[i]!;
        if (!Object.hasOwn(feeds, p.name)) {
          if (p.default === null && !meta.optional) throw new InvalidArgumentError(`run: missing input '${p.name}' (${meta.torchScriptType})`);
          positional = false;
          return;
        }
        const v = fromFeed(feeds[p.name] ?? null, p.type, p.name);
        if (positional) args.push(v); else kwargs.set(p.name, v);
      });
      const call = () => module.runtime.run(control, () => module.call('forward', args, kwargs.size ? kwargs : undefined));
      const result = sessionEngine === undefined ? call() : withGemmEngine(sessionEngine, call);
      const out: Record<string, Tensor> = {};
      flatten(result, OUT, out, module.limits.maxRecursionDepth);
      return out;
    },
  };
}

/** A fed tensor as the parameter's type: 0-d tensors become ints, floats and bools where declared. */
function fromFeed(t: Tensor | null, type: TypeExpr | null, name: string): TsValue {
  if (t === null) return null;
  const base = type?.name === 'Optional' ? type.args[0]! : type;
  if (!base || base.name === 'Tensor' || base.name === 'Any') return t;
  if (t.size !== 1) throw new InvalidArgumentError(`run: input '${name}' is ${typeToString(type!)}; feed a tensor with one element`);
  const x = (t.data as ArrayLike<number | bigint>)[0]!;
  switch (base.name) {
    case 'int': return BigInt(typeof x === 'bigint' ? x : Math.trunc(Number(x)));
    case 'float': return t.toNumbers()[0]!;
    case 'bool': return Number(x) !== 0;
    default: throw new InvalidArgumentError(`run: input '${name}' has type ${typeToString(type!)}, which cannot be fed as a tensor`);
  }
}

/** The dtype each TorchScript scalar type travels as (see flatten and fromFeed). */
const SCALAR_CARRIERS = new Map<string, DataType>([['int', 'int64'], ['float', 'float64'], ['bool', 'bool'], ['str', 'string']]);

function metadataOf(name: string, t: TypeExpr | null, optional: boolean): TorchScriptValueMetadata {
  const torchScriptType = t ? typeToString(t) : 'Tensor';
  const base = t?.name === 'Optional' ? t.args[0] : t;
  if (!base || base.name === 'Tensor') return { name, isTensor: true, torchScriptType, optional };
  const carrier = base.args.length === 0 ? SCALAR_CARRIERS.get(base.name) : undefined;
  return carrier ? { name, isTensor: false, type: carrier, torchScriptType, optional } : { name, isTensor: false, torchScriptType, optional };
}

function staticOutputs(t: TypeExpr | null, name: string, module: TorchScriptModule, depth: number): TorchScriptValueMetadata[] {
  // a NamedTuple may name itself as a field type: bound the walk
  checkLimit(module.limits, 'maxRecursionDepth', depth, `forward's return type at ${name}`);
  if (!t) return [metadataOf(name, null, false)];
  if (t.name === 'Tuple' && t.args.length) return t.args.flatMap((a, i) => staticOutputs(a, `${name}.${i}`, module, depth + 1));
  const cls = t.name.startsWith('__torch__.') ? module.archive.findClass(t.name) : undefined;
  if (cls?.bases.includes('NamedTuple')) return cls.attributes.flatMap((a, i) => staticOutputs(a.type, `${name}.${i}`, module, depth + 1));
  if (t.name === 'NoneType') return [];
  return [metadataOf(name, t, t.name === 'Optional')];
}

/** Depth-first: tensors by path; scalars as 0-d tensors; None skipped. Values nested deeper than `maxDepth` are refused. */
export function flatten(v: TsValue, name: string, out: Record<string, Tensor>, maxDepth = DEFAULT_LIMITS.maxRecursionDepth, depth = 0): void {
  if (v === null) return;
  if (depth > maxDepth) checkLimit({ ...DEFAULT_LIMITS, maxRecursionDepth: maxDepth }, 'maxRecursionDepth', depth, `run: output ${name.slice(0, 200)}`);
  if (v instanceof Tensor) { out[name] = v; return; }
  if (typeof v === 'bigint') { out[name] = new Tensor('int64', [v], []); return; }
  if (typeof v === 'number') { out[name] = new Tensor('float64', [v], []); return; }
  if (typeof v === 'boolean') { out[name] = new Tensor('bool', [v], []); return; }
  if (typeof v === 'string') { out[name] = new Tensor('string', [v], []); return; }
  if (Array.isArray(v)) { v.forEach((x, i) => flatten(x, `${name}.${i}`, out, maxDepth, depth + 1)); return; }
  if (v instanceof TsTuple) { v.items.forEach((x, i) => flatten(x, `${name}.${i}`, out, maxDepth, depth + 1)); return; }
  if (v instanceof Map) { for (const [k, x] of v) flatten(x, `${name}.${keyName(k)}`, out, maxDepth, depth + 1); return; }
  if (v instanceof TsDevice || v instanceof TsDtype) { out[name] = new Tensor('string', [pyStr(v)], []); return; }
  if (v instanceof TsObject) throw new InvalidArgumentError(`run: output ${name} is a ${v.className} object, which has no tensor form`);
}

function keyName(k: TsKey): string {
  return k instanceof Tensor ? 'tensor' : pyStr(k);
}
