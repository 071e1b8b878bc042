// Running TorchScript: a tree-walking interpreter over the parsed archive, calling aten ops.

export { loadTorchScript, usedOps, type LoadTorchScriptOptions, type TorchScriptModule } from './module.js';
export {
  createTorchScriptSession, flatten, type TorchScriptSession, type TorchScriptSessionOptions, type TorchScriptValueMetadata,
} from './session.js';
export { pyRepr, pyStr } from '../../../ops/aten/py-values.js';
