// One error class per failure kind, each with a stable `code`.

// Every class names itself with a string literal (not new.target.name), so that names survive a
// minifying bundler (test/unit/error-names.test.ts bundles and minifies to check).
export class TesseraError extends Error {
  readonly code: string = 'TESSERA_ERROR';
  override readonly name: string = 'TesseraError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The bytes are not a valid model / tensor file; the message names the file part. */
export class ModelFormatError extends TesseraError {
  override readonly name: string = 'ModelFormatError';
  override readonly code = 'MODEL_FORMAT';
}

/** The model uses operators tessera does not implement. */
export class UnsupportedOpError extends TesseraError {
  override readonly name: string = 'UnsupportedOpError';
  override readonly code = 'UNSUPPORTED_OP';
  constructor(message: string, readonly ops: readonly string[] = []) {
    super(message);
  }
}

/** Shapes or types do not fit an operator or a declared input. */
export class ShapeError extends TesseraError {
  override readonly name: string = 'ShapeError';
  override readonly code = 'SHAPE';
}

/** A graph is malformed (undefined inputs, cycles, duplicate outputs). */
export class GraphError extends TesseraError {
  override readonly name: string = 'GraphError';
  override readonly code = 'GRAPH';
}

/**
 * A size, depth, count or time limit was exceeded. `limit` names the limit (e.g. 'maxTensorElements',
 * see ResourceLimits), `value` what was asked for and `max` the limit in force, when known.
 */
export class ResourceLimitError extends TesseraError {
  override readonly name: string = 'ResourceLimitError';
  override readonly code = 'RESOURCE_LIMIT';
  constructor(message: string, readonly limit: string = '', readonly value: number = NaN, readonly max: number = NaN) {
    super(message);
  }
}

/**
 * A run was stopped before it finished: its AbortSignal fired, or its RunOptions.terminate was
 * set (onnxruntime-web's option). The session stays usable. Its `name` is 'AbortError', like the
 * DOMException fetch() throws when aborted, so `e.name === 'AbortError'` checks work for both.
 */
export class AbortError extends TesseraError {
  override readonly code = 'CANCELLED';
  // A literal, so that the name survives minification.
  override readonly name: string = 'AbortError';
}

/** The former name of AbortError, kept for existing code: the same class. */
export const RunCancelledError = AbortError;
export type RunCancelledError = AbortError;

/**
 * A session worker (InferenceSession.create(model, { worker: true })) could not be started, or
 * crashed: the message says which and why. A session whose worker crashed refuses every later run
 * with this error; create a new session.
 */
export class WorkerError extends TesseraError {
  override readonly code = 'WORKER';
  override readonly name: string = 'WorkerError';
}

/**
 * None of the execution providers a session asked for can run on this host (no gpu.js or no
 * WebGL2 with float32 render targets for 'webgl', no WebAssembly SIMD for 'wasm', a name tessera
 * does not run): `skipped` says, per provider in order, why it was passed over.
 */
export class BackendUnavailableError extends TesseraError {
  override readonly name: string = 'BackendUnavailableError';
  override readonly code = 'BACKEND_UNAVAILABLE';
  constructor(message: string, readonly skipped: readonly { readonly name: string; readonly reason: string }[] = []) {
    super(message);
  }
}

/** An operator failed while running; wraps the cause with the node that failed. */
export class ExecutionError extends TesseraError {
  override readonly name: string = 'ExecutionError';
  override readonly code = 'EXECUTION';
}

/** Bad arguments to a public API call. */
export class InvalidArgumentError extends TesseraError {
  override readonly name: string = 'InvalidArgumentError';
  override readonly code = 'INVALID_ARGUMENT';
}

/** A node's attributes or inputs break its operator's contract. */
export class InvalidNodeError extends TesseraError {
  override readonly name: string = 'InvalidNodeError';
  override readonly code = 'INVALID_NODE';
}

/** A pickle references a global or an operation tessera will not perform; names module.name, opcode and byte offset. */
export class UnsafePickleError extends TesseraError {
  override readonly name: string = 'UnsafePickleError';
  override readonly code = 'UNSAFE_PICKLE';
}

/** A TorchScript program raised an exception (`raise`, `assert`, ops.prim.RaiseException); names the Python class. */
export class TorchScriptError extends TesseraError {
  override readonly name: string = 'TorchScriptError';
  override readonly code = 'TORCHSCRIPT_EXCEPTION';
  constructor(message: string, readonly pythonClass: string = 'builtins.RuntimeError') {
    super(message);
  }
}
