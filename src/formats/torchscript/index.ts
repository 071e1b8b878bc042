// TorchScript archives (torch.jit.save / torch.jit.trace): reading and parsing only.
// Running them is src/runtime/torchscript's job.

export { readTorchScriptArchive, type TorchScriptArchive } from './archive.js';
export { parseCodeModule, parseTypeString } from './parser.js';

/** True for a zip holding <folder>/data.pkl and <folder>/constants.pkl or code/ (a TorchScript archive). */
export { looksLikeTorchScript } from './detect.js';
