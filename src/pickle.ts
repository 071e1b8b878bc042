// 'tessera/pickle': PyTorch's torch.save files, read by a pickle interpreter that cannot call
// anything (src/formats/pickle), and scanned without loading. Kept out of the main entry so that
// an ONNX-only bundle does not carry it.

export {
  torchLoad, torchLoadWithFormat, looksLikeTorchFile, stateDict, storageSharing, scanPickle, scanFile, tensorSource,
  isTuple, PyGlobal, PyRecord, type TorchLoadOptions, type ScanReport, type FileScan, type ScanVerdict, type PickleLimits,
} from './formats/pickle/index.js';
