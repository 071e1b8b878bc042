// The public session API, shaped like onnxruntime-web's InferenceSession.

import { onnxOps } from '../../ops/onnx/index.js';
import type { OpDef } from '../../ops/op-def.js';
import { InvalidArgumentError, ModelFormatError, ShapeError } from '../errors.js';
import type { Model, ValueInfo, ValueType } from '../ir/graph.js';
import { loadOnnxModel } from '../formats/onnx/load.js';
import { Tensor } from '../tensor.js';
import type { Value } from '../value.js';
import { executeGraph } from './execute.js';
import { type GraphPlan, planModel } from './plan.js';
import { OpRegistry } from './registry.js';
import { looksLikeTorchScript } from '../formats/torchscript/detect.js';
import { looksLikeTorchFile } from '../formats/pickle/index.js';
import { createTorchScriptSession, type TorchScriptModule, type TorchScriptSession } from './torchscript/index.js';
import { autodiffOps } from './autodiff.js';

export interface SessionOptions {
  /** Bytes of external data files, by location relative to the model. */
  readonly externalData?: (location: string) => Uint8Array | Promise<Uint8Array>;
  /** Operators for this session only, resolved before the built-in ones (custom layers). */
  readonly customOps?: readonly OpDef[];
}

export interface ValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  /** Numbers for fixed dims, strings for symbolic ones, null when unknown. */
  readonly shape?: readonly (number | string | null)[];
}

/** Reads a model file given a path or URL; set by the platform entry (Node) or defaults to fetch. */
export type FileLoader = (path: string) => Promise<{ bytes: Uint8Array; externalData: (loc: string) => Promise<Uint8Array> }>;

let fileLoader: FileLoader | undefined;

/** Used by the Node entry point to read paths from disk. */
export function setFileLoader(loader: FileLoader): void {
  fileLoader = loader;
}

async function fetchLoader(url: string): ReturnType<FileLoader> {
  const res = await fetch(url);
  if (!res.ok) throw new InvalidArgumentError(`could not fetch model '${url}': HTTP ${res.status}`);
  const base = new URL('.', new URL(url, (globalThis as { location?: { href: string } }).location?.href));
  return {
    bytes: new Uint8Array(await res.arrayBuffer()),
    externalData: async (loc) => {
      const r = await fetch(new URL(loc, base));
      if (!r.ok) throw new ModelFormatError(`external data '${loc}': HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    },
  };
}

const defaultRegistry = new OpRegistry(onnxOps);
for (const d of autodiffOps(defaultRegistry)) defaultRegistry.add(d);
const registered: OpDef[] = [];

export function defaultOpRegistry(): OpRegistry {
  return defaultRegistry;
}

/**
 * Registers an operator for every session created afterwards, e.g. a custom layer:
 * `registerOp({ domain: 'com.example', name: 'Swish2', since: 1, run: ([x]) => [...] })`.
 * A definition for an existing domain::name with a higher `since` takes precedence from that
 * opset on; one with the same `since` replaces the built-in one.
 */
export function registerOp(def: OpDef): void {
  registered.push(def);
  defaultRegistry.add(def);
}

function registryWith(custom: readonly OpDef[] | undefined): OpRegistry {
  if (!custom?.length) return defaultRegistry;
  const registry = new OpRegistry([...onnxOps, ...registered, ...custom]);
  for (const d of autodiffOps(registry)) registry.add(d);
  return registry;
}

function metadataOf(v: ValueInfo): ValueMetadata {
  const t = v.type;
  if (t.kind === 'tensor') return { name: v.name, isTensor: true, type: t.elemType, shape: t.shape };
  return { name: v.name, isTensor: false };
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];

  private constructor(
    private readonly onnx: { readonly model: Model; readonly plan: GraphPlan } | null,
    private readonly torchscript: TorchScriptSession | null = null,
  ) {
    if (onnx) {
      const { model } = onnx;
      const inits = model.graph.initializers;
      const inputs = model.graph.inputs.filter((i) => !inits.has(i.name));
      this.inputNames = inputs.map((i) => i.name);
      this.outputNames = model.graph.outputs.map((o) => o.name);
      this.inputMetadata = inputs.map(metadataOf);
      this.outputMetadata = model.graph.outputs.map(metadataOf);
    } else {
      const ts = torchscript!;
      this.inputNames = ts.inputNames;
      this.outputNames = ts.outputNames;
      this.inputMetadata = ts.inputMetadata;
      this.outputMetadata = ts.outputMetadata;
    }
  }

  /** Which kind of model this session runs. */
  get format(): 'onnx' | 'torchscript' {
    return this.onnx ? 'onnx' : 'torchscript';
  }

  /** The ONNX model's graph IR (undefined for TorchScript sessions). */
  get model(): Model | undefined {
    return this.onnx?.model;
  }

  /** The TorchScript module (undefined for ONNX sessions). */
  get module(): TorchScriptModule | undefined {
    return this.torchscript?.module;
  }

  /** Loads and plans a model from bytes, or from a path/URL. Fails listing every unsupported op. */
  static async create(source: Uint8Array | ArrayBuffer | string, options: SessionOptions = {}): Promise<InferenceSession> {
    let bytes: Uint8Array;
    let externalData = options.externalData;
    if (typeof source === 'string') {
      const loaded = await (fileLoader ?? fetchLoader)(source);
      bytes = loaded.bytes;
      externalData ??= loaded.externalData;
    } else if (source instanceof Uint8Array) {
      bytes = source;
    } else if (source instanceof ArrayBuffer) {
      bytes = new Uint8Array(source);
    } else {
      throw new InvalidArgumentError('InferenceSession.create: expected bytes (Uint8Array/ArrayBuffer) or a path');
    }
    if (looksLikeTorchScript(bytes)) return new InferenceSession(null, createTorchScriptSession(bytes));
    if (looksLikeTorchFile(bytes)) {
      throw new ModelFormatError(
        'this is a torch.save pickle (weights or a checkpoint), not a runnable model: read it with torchLoad() / stateDict()',
      );
    }
    const model = await loadOnnxModel(bytes, { externalData });
    return InferenceSession.fromModel(model, registryWith(options.customOps));
  }

  /** Plans an already loaded model. */
  static fromModel(model: Model, registry: OpRegistry = defaultRegistry): InferenceSession {
    return new InferenceSession({ model, plan: planModel(model, registry) });
  }

  /** Runs the model. Feeds are checked against the declared input types and shapes. */
  async run(feeds: Record<string, Tensor | null>, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    if (this.torchscript) {
      const out = await this.torchscript.run(feeds);
      return fetches ? Object.fromEntries(Object.entries(out).filter(([k]) => fetches.includes(k))) : out;
    }
    return this.runAny(feeds, fetches) as Record<string, Tensor>;
  }

  /** Synchronous run, for callers that cannot await. */
  runSync(feeds: Record<string, Tensor>, fetches?: readonly string[]): Record<string, Tensor> {
    if (this.torchscript) throw new InvalidArgumentError('runSync: TorchScript sessions run with run()');
    return this.runAny(feeds, fetches) as Record<string, Tensor>;
  }

  /**
   * Runs a model whose inputs or outputs may be sequences (arrays of tensors) or optionals
   * (`null` when empty), as well as tensors.
   */
  async runValues(feeds: Record<string, Value>, fetches?: readonly string[]): Promise<Record<string, Value>> {
    if (this.torchscript) return this.run(feeds as Record<string, Tensor | null>, fetches);
    return this.runAny(feeds, fetches);
  }

  private runAny(feeds: Record<string, Value>, fetches?: readonly string[]): Record<string, Value> {
    const { model } = this.onnx!;
    const values = new Map<string, Value>();
    for (const meta of model.graph.inputs) {
      const v = (feeds as Record<string, Value | undefined>)[meta.name];
      if (v === undefined) {
        if (model.graph.initializers.has(meta.name)) continue;
        if (meta.type.kind === 'optional') continue;
        throw new InvalidArgumentError(`input '${meta.name}' is missing (the model needs: ${this.inputNames.join(', ')})`);
      }
      checkInput(meta.name, meta.type, v);
      values.set(meta.name, v);
    }
    for (const k of Object.keys(feeds)) {
      if (!model.graph.inputs.some((i) => i.name === k)) {
        throw new InvalidArgumentError(`'${k}' is not an input of this model (inputs: ${this.inputNames.join(', ')})`);
      }
    }
    const outs = this.execute(values);
    const result: Record<string, Value> = {};
    this.outputNames.forEach((name, i) => {
      if (!fetches || fetches.includes(name)) result[name] = outs[i]!;
    });
    return result;
  }

  /** Runs with values bound by input name, unchecked; returns every graph output in order. */
  execute(feeds: ReadonlyMap<string, Value>): Value[] {
    if (!this.onnx) throw new InvalidArgumentError('execute: only ONNX sessions run graphs');
    return executeGraph(this.onnx.plan, feeds);
  }

  async release(): Promise<void> {}
}

function checkInput(name: string, type: ValueType, v: Value): void {
  if (type.kind !== 'tensor') return;
  if (!(v instanceof Tensor)) throw new InvalidArgumentError(`input '${name}' must be a Tensor`);
  if (type.elemType && v.type !== type.elemType) {
    throw new InvalidArgumentError(`input '${name}': expected a ${type.elemType} tensor, got ${v.type}`);
  }
  if (type.shape) {
    const want = type.shape;
    const bad = want.length !== v.dims.length ||
      want.some((d, i) => typeof d === 'number' && d > 0 && d !== v.dims[i]);
    if (bad) {
      const fmt = want.map((d) => (d === null ? '?' : String(d))).join(', ');
      throw new ShapeError(`input '${name}': expected shape [${fmt}], got [${v.dims.join(', ')}]`);
    }
  }
}
