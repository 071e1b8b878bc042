// Module types as the Workers runtime gives them (wrangler.toml `rules`, config.capnp `modules`).
declare module '*.onnx' { const bytes: ArrayBuffer; export default bytes; }
declare module '*.wasm' { const module: WebAssembly.Module; export default module; }
