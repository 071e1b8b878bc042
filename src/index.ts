// tessera's public API. Web-standard APIs only: this module runs in Node, Deno, Bun,
// browsers and edge workers.

export { Tensor, type TensorLocation } from './tensor.js';
export { env, type Env, type LogLevel, VERSION } from './env.js';
export type { DataType, TensorData } from './dtypes.js';
export { DATA_TYPES } from './dtypes.js';
export {
  TesseraError, ModelFormatError, UnsupportedOpError, ShapeError, GraphError, ResourceLimitError,
  ExecutionError, InvalidArgumentError, InvalidNodeError, UnsafePickleError, TorchScriptError, RunCancelledError,
  AbortError, WorkerError, BackendUnavailableError,
} from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type ResourceLimits, type RunControlOptions, type RunControlOptions as RunOptions } from './limits.js';
export type { Fetches } from './api/run-args.js';
export { InferenceSession, registerOp, type SessionOptions, type ValueMetadata } from './api/session.js';
export type { BackendName, ExecutionProviderConfig } from './runtime/backend.js';
export { registerPrecompiledModules } from '../kernels/wasm/host.js';
export {
  WorkerSession, setWorkerFactory, type WorkerFactory, type WorkerEvents, type WorkerHandle, type WorkerSessionOptions,
} from './api/worker-session.js';
export {
  createInferenceServer, ProtocolError, type InferenceServer, type ModelSource, type ServeOptions, type ServedSession,
} from './serve/handler.js';
export { op, Attrs, type OpDef, type OpContext } from '../ops/op-def.js';
export { loadOnnxModel, decodeTensorProto, type OnnxLoadOptions } from './formats/onnx/load.js';
export { parseNpy, writeNpy } from './formats/npy/npy.js';
export type { Model, Graph, Node, ValueInfo, ValueType, Attribute } from './ir/graph.js';
export type { Value } from './value.js';
export {
  torchLoad, torchLoadWithFormat, looksLikeTorchFile, stateDict, storageSharing, scanPickle, scanFile, tensorSource,
  isTuple, PyGlobal, PyRecord, type TorchLoadOptions, type ScanReport, type FileScan, type ScanVerdict, type PickleLimits,
} from './formats/pickle/index.js';
export { readSafetensors, writeSafetensors, type SafetensorsFile } from './formats/safetensors/index.js';
export { loadTorchScript, createTorchScriptSession, type TorchScriptModule } from './runtime/torchscript/index.js';
export { looksLikeTorchScript } from './formats/torchscript/index.js';
export { TsTuple, TsDevice, TsDtype, TsObject, type TsValue } from '../ops/aten/aten-op.js';
export type { LoadProgress } from './api/session.js';
export type {
  ImageDataLike, ImageFormat, ImageNorm, ImageSource, ImageTensorLayout, TensorFromImageOptions, TensorToImageDataOptions,
} from './image/image-tensor-options.js';
export { serveWithDeno } from './serve/deno.js';
export { serveWithBun, type BunHostOptions } from './serve/bun.js';
export type { HostOptions, ServingHost } from './serve/host.js';
