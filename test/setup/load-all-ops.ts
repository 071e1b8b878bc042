// Every test file starts with all optional ONNX operator families loaded (ops/onnx/optional.ts):
// many tests plan models synchronously (InferenceSession.fromModel, planModel), which only
// InferenceSession.create loads families for. test/unit/optional-ops.test.ts tests the loading.

import { loadAllOps } from '../../src/runtime/default-registry.js';

await loadAllOps();
