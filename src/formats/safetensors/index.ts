// safetensors read/write.
export { readSafetensors, writeSafetensors, MAX_HEADER_BYTES, type SafetensorsFile } from './safetensors.js';
