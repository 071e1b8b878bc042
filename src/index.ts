// tessera's public API. Web-standard APIs only: this module runs in Node, Deno, Bun,
// browsers and edge workers.
//
// This entry is what an ONNX application imports, so it reaches no TorchScript, pickle or aten
// code: PyTorch files have their own entries, 'tessera/torchscript' (./torchscript.ts) and
// 'tessera/pickle' (./pickle.ts). InferenceSession.create still opens a TorchScript archive, by
// loading the interpreter when it meets one. Nothing here registers anything at import time, so
// a bundler keeps only what is used (test/unit/bundle-budgets.test.ts holds the sizes).

export { Tensor, type TensorLocation } from './tensor.js';
export { env, type Env, type LogLevel, VERSION } from './env.js';
export type { DataType, TensorData } from './dtypes.js';
export { DATA_TYPES } from './dtypes.js';
export {
  TesseraError, ModelFormatError, UnsupportedOpError, ShapeError, GraphError, ResourceLimitError,
  ExecutionError, InvalidArgumentError, InvalidNodeError, UnsafePickleError, TorchScriptError, RunCancelledError,
  AbortError, WorkerError, BackendUnavailableError,
} from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type ResourceLimits } from './limits.js';
export type { RunControlOptions, RunControlOptions as RunOptions } from './run-control.js';
export type { Fetches } from './api/run-args.js';
export { InferenceSession, registerOp, loadAllOps, type SessionOptions, type ValueMetadata } from './api/session.js';
export type { BackendName, ExecutionProviderConfig } from './runtime/backend.js';
export { registerPrecompiledModules } from '../kernels/wasm/precompiled.js';
// The worker client (WorkerSession) loads when create() is asked for worker: true; its class is
// exported as a type only, so that bundles without workers leave it out.
export type { WorkerSession, WorkerSessionOptions } from './api/worker-session.js';
export { setWorkerFactory, type WorkerFactory, type WorkerEvents, type WorkerHandle } from './api/worker-factory.js';
export {
  createInferenceServer, ProtocolError, type InferenceServer, type ModelSource, type ServeOptions, type ServedSession,
} from './serve/handler.js';
export { op, type Attrs, type OpDef, type OpContext } from '../ops/op-def.js';
export { loadOnnxModel, decodeTensorProto, type OnnxLoadOptions } from './formats/onnx/load.js';
export { parseNpy, writeNpy } from './formats/npy/npy.js';
export type { Model, Graph, Node, ValueInfo, ValueType, Attribute } from './ir/graph.js';
export type { Value } from './value.js';
export { readSafetensors, writeSafetensors, type SafetensorsFile } from './formats/safetensors/index.js';
export type { LoadProgress } from './api/session.js';
export type {
  ImageDataLike, ImageFormat, ImageNorm, ImageSource, ImageTensorLayout, TensorFromImageOptions, TensorToImageDataOptions,
} from './image/image-tensor-options.js';
export { serveWithDeno } from './serve/deno.js';
export { serveWithBun, type BunHostOptions } from './serve/bun.js';
export type { HostOptions, ServingHost } from './serve/host.js';
