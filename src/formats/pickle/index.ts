// Safe PyTorch pickle loading: torch.load in TypeScript that can never execute the file.

export { torchLoad, torchLoadWithFormat, looksLikeTorchFile, type TorchLoadOptions, type TorchFileFormat } from './torch-load.js';
export { stateDict, storageSharing } from './state-dict.js';
export { scanPickle, scanOnePickle, opcodeClasses, type ScanReport, type ScanOptions, type PickleScan, type GlobalRef } from './scan.js';
export { scanFile, type FileScan, type ScanFileOptions, type ScannedPart, type ScanVerdict } from './scan-file.js';
export { sniffContainer, zipMemberRoles, type ContainerKind, type MemberRole } from './container.js';
export { unpickle, LOAD_HOST, RefusedValue, type UnpickleHost, type UnpickleOptions, type UnpickleResult } from './vm.js';
export { ALLOWED_GLOBALS, isAllowedGlobal } from './allow-list.js';
export { tensorSource, type TensorSource } from './tensor-rebuild.js';
export {
  PyGlobal, PySlice, PyComplex, PyRecord, isTuple, isFrozenSet, PY_ATTRIBUTES, DEFAULT_LIMITS,
  pickleLimits, type PickleLimits, type TorchLoadLimits, type PyValue,
} from './values.js';
export { OPCODES, type OpClass, type OpInfo } from './opcodes.js';
