// One error class per failure kind, each with a stable `code`.

export class TesseraError extends Error {
  readonly code: string = 'TESSERA_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bytes are not a valid model / tensor file; the message names the file part. */
export class ModelFormatError extends TesseraError {
  override readonly code = 'MODEL_FORMAT';
}

/** The model uses operators tessera does not implement. */
export class UnsupportedOpError extends TesseraError {
  override readonly code = 'UNSUPPORTED_OP';
  constructor(message: string, readonly ops: readonly string[] = []) {
    super(message);
  }
}

/** Shapes or types do not fit an operator or a declared input. */
export class ShapeError extends TesseraError {
  override readonly code = 'SHAPE';
}

/** A graph is malformed (undefined inputs, cycles, duplicate outputs). */
export class GraphError extends TesseraError {
  override readonly code = 'GRAPH';
}

/**
 * A size, depth, count or time limit was exceeded. `limit` names the limit (e.g. 'maxTensorElements',
 * see ResourceLimits), `value` what was asked for and `max` the limit in force, when known.
 */
export class ResourceLimitError extends TesseraError {
  override readonly code = 'RESOURCE_LIMIT';
  constructor(message: string, readonly limit: string = '', readonly value: number = NaN, readonly max: number = NaN) {
    super(message);
  }
}

/** A run was cancelled through its AbortSignal; the session stays usable. */
export class RunCancelledError extends TesseraError {
  override readonly code = 'CANCELLED';
}

/** An operator failed while running; wraps the cause with the node that failed. */
export class ExecutionError extends TesseraError {
  override readonly code = 'EXECUTION';
}

/** Bad arguments to a public API call. */
export class InvalidArgumentError extends TesseraError {
  override readonly code = 'INVALID_ARGUMENT';
}

/** A node's attributes or inputs break its operator's contract. */
export class InvalidNodeError extends TesseraError {
  override readonly code = 'INVALID_NODE';
}

/** A pickle references a global or an operation tessera will not perform; names module.name, opcode and byte offset. */
export class UnsafePickleError extends TesseraError {
  override readonly code = 'UNSAFE_PICKLE';
}

/** A TorchScript program raised an exception (`raise`, `assert`, ops.prim.RaiseException); names the Python class. */
export class TorchScriptError extends TesseraError {
  override readonly code = 'TORCHSCRIPT_EXCEPTION';
  constructor(message: string, readonly pythonClass: string = 'builtins.RuntimeError') {
    super(message);
  }
}
