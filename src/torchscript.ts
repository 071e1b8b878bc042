// 'tessera/torchscript': TorchScript archives (torch.jit.save) and the interpreter that runs their
// code. InferenceSession.create loads this part by itself when it meets an archive; import it
// for the module object (loadTorchScript) and TorchScript's values.

export { loadTorchScript, createTorchScriptSession, type TorchScriptModule } from './runtime/torchscript/index.js';
export { looksLikeTorchScript } from './formats/torchscript/index.js';
export { TsTuple, TsDevice, TsDtype, TsObject, type TsValue } from '../ops/aten/aten-op.js';
