// The messages between a WorkerSession (src/api/worker-session.ts) and its worker
// (src/api/worker-entry.ts), and how values and errors cross: as structured-clone data, since
// class instances arrive as plain objects. Tensors cross as typed arrays (a copy, or a transfer
// of a copy the sender owns); errors as their code and fields, made again into the same class.

import {
  AbortError, ExecutionError, GraphError, InvalidArgumentError, InvalidNodeError, ModelFormatError, ResourceLimitError,
  ShapeError, TesseraError, TorchScriptError, UnsafePickleError, UnsupportedOpError, WorkerError,
} from '../errors.js';
import type { DataType, TensorData } from '../dtypes.js';
import type { ResourceLimits } from '../limits.js';
import { Tensor } from '../tensor.js';
import type { MapKey, Value } from '../value.js';
import type { SessionOptions, ValueMetadata } from './session.js';
import type { BackendName } from '../runtime/backend.js';

/** A Value as structured-clone data. */
export type WireValue =
  | null
  | { readonly k: 't'; readonly type: DataType; readonly data: TensorData; readonly dims: readonly number[] }
  | { readonly k: 's'; readonly items: readonly WireValue[] }
  | { readonly k: 'm'; readonly entries: readonly (readonly [MapKey, WireValue | number])[] };

/** An error as structured-clone data: enough to make the same class with the same fields again. */
export interface WireError {
  readonly code: string;
  readonly name: string;
  readonly message: string;
  readonly limit?: string;
  readonly value?: number;
  readonly max?: number;
  readonly ops?: readonly string[];
  readonly pythonClass?: string;
}

/** Where external data comes from: nowhere, whole files by location, or byte ranges of files next to a model path. */
export type ExternalSource = 'none' | 'whole' | 'range';

export type ToWorker =
  | {
    readonly type: 'load'; readonly id: number; readonly bytes: Uint8Array; readonly limits: ResourceLimits;
    readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'; readonly enableCpuMemArena?: boolean; readonly executionProviders?: SessionOptions['executionProviders']; readonly intraOpNumThreads?: number;
    readonly strict?: boolean;
    readonly external: ExternalSource;
    /** Int32 slot 0 holds the id of the run to stop (absent without SharedArrayBuffer). */
    readonly abortFlag?: SharedArrayBuffer;
  }
  | {
    readonly type: 'run'; readonly id: number; readonly feeds: Readonly<Record<string, WireValue>>;
    readonly fetches?: readonly string[]; readonly timeoutMs?: number;
  }
  | { readonly type: 'external-reply'; readonly id: number; readonly bytes?: Uint8Array; readonly error?: WireError };

export interface LoadedSession {
  readonly format: 'onnx' | 'torchscript';
  readonly backend: BackendName;
  readonly threads: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'loaded'; readonly id: number; readonly session: LoadedSession }
  | { readonly type: 'result'; readonly id: number; readonly outputs: Readonly<Record<string, WireValue>> }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | {
    readonly type: 'external'; readonly id: number; readonly location: string;
    readonly offset?: number; readonly length?: number;
  };

/**
 * `v` as wire data. With `transfer`, each tensor's data is copied into a buffer of its own, which
 * is listed for transfer (the sender keeps nothing it might still use); without, typed arrays
 * are cloned, and a view into a larger buffer is first cut out so only its bytes cross.
 */
export function toWire(v: Value, transfer?: Transferable[], depth = 0): WireValue {
  if (depth > 64) throw new InvalidArgumentError('a value nests sequences or maps more than 64 deep');
  if (v === null) return null;
  if (v instanceof Tensor) {
    let data = v.data;
    if (!Array.isArray(data)) {
      const arr = data as Exclude<TensorData, string[]>;
      // A shared buffer would be shared with the worker, not copied: the caller could change it mid-run.
      const shared = typeof SharedArrayBuffer === 'function' && arr.buffer instanceof SharedArrayBuffer;
      const whole = arr.byteOffset === 0 && arr.byteLength === arr.buffer.byteLength && !shared;
      if (transfer) {
        const copy = arr.slice();
        transfer.push(copy.buffer);
        data = copy;
      } else if (!whole) {
        data = arr.slice();
      }
    }
    return { k: 't', type: v.type, data, dims: v.dims };
  }
  if (v instanceof Map) {
    return { k: 'm', entries: [...v].map(([key, x]) => [key, typeof x === 'number' ? x : toWire(x, transfer, depth + 1)] as const) };
  }
  if (Array.isArray(v)) return { k: 's', items: v.map((x: Value) => toWire(x, transfer, depth + 1)) };
  throw new InvalidArgumentError(`cannot send a ${typeof v} to a worker: expected a Tensor, a sequence, a map or null`);
}

export function fromWire(w: WireValue): Value {
  if (w === null) return null;
  switch (w.k) {
    case 't': return new Tensor(w.type, w.data, w.dims);
    case 's': return w.items.map(fromWire);
    case 'm': return new Map(w.entries.map(([key, x]) => [key, typeof x === 'number' ? x : fromWire(x)]));
  }
}

export function errorToWire(e: unknown): WireError {
  if (e instanceof TesseraError) {
    return {
      code: e.code, name: e.name, message: e.message,
      ...(e instanceof ResourceLimitError ? { limit: e.limit, value: e.value, max: e.max } : {}),
      ...(e instanceof UnsupportedOpError ? { ops: [...e.ops] } : {}),
      ...(e instanceof TorchScriptError ? { pythonClass: e.pythonClass } : {}),
    };
  }
  const err = e as { name?: unknown; message?: unknown } | null;
  const name = typeof err?.name === 'string' ? err.name : 'Error';
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return { code: 'EXECUTION', name, message: `${name}: ${message}` };
}

/** The error `w` describes, as the class of its code (a tessera error of an unknown code becomes ExecutionError). */
export function errorFromWire(w: WireError): TesseraError {
  switch (w.code) {
    case 'MODEL_FORMAT': return new ModelFormatError(w.message);
    case 'UNSUPPORTED_OP': return new UnsupportedOpError(w.message, w.ops ?? []);
    case 'SHAPE': return new ShapeError(w.message);
    case 'GRAPH': return new GraphError(w.message);
    case 'RESOURCE_LIMIT': return new ResourceLimitError(w.message, w.limit, w.value, w.max);
    case 'CANCELLED': return new AbortError(w.message);
    case 'INVALID_ARGUMENT': return new InvalidArgumentError(w.message);
    case 'INVALID_NODE': return new InvalidNodeError(w.message);
    case 'UNSAFE_PICKLE': return new UnsafePickleError(w.message);
    case 'TORCHSCRIPT_EXCEPTION': return new TorchScriptError(w.message, w.pythonClass);
    case 'WORKER': return new WorkerError(w.message);
    default: return new ExecutionError(w.message);
  }
}
