// Every test file starts with the parts tessera loads lazily already loaded, as they were before
// they became lazy (issue 13's bundles): all optional ONNX operator families (ops/onnx/optional.ts;
// many tests plan models synchronously, with InferenceSession.fromModel or planModel, which load
// no family by themselves) and the TorchScript interpreter (so that a test's first archive is not
// timed with the import). test/unit/optional-ops.test.ts and test/unit/bundle-budgets.test.ts test
// the lazy loading itself, on fresh registries and on a bundle.

import { loadAllOps } from '../../src/runtime/default-registry.js';

await Promise.all([loadAllOps(), import('../../src/runtime/torchscript/session.js')]);
