# workerd's own config for the example (wrangler users: see wrangler.toml). Build first, then:
#   node build.mjs && npx workerd serve config.capnp
# and the Open Inference Protocol answers at http://localhost:8787/v2 (override the socket with
# `--socket-addr http=HOST:PORT`). test/serve/workerd-serve.test.ts runs this file as it is.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "*:8787", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "build/worker.js"),
    (name = "digits_cnn_opset17.onnx", data = embed "build/digits_cnn_opset17.onnx"),
    (name = "wasm/gemm.wasm", wasm = embed "build/wasm/gemm.wasm"),
    (name = "wasm/gemm-fma.wasm", wasm = embed "build/wasm/gemm-fma.wasm"),
    (name = "wasm/conv.wasm", wasm = embed "build/wasm/conv.wasm"),
    (name = "wasm/conv-fma.wasm", wasm = embed "build/wasm/conv-fma.wasm"),
    (name = "wasm/winograd.wasm", wasm = embed "build/wasm/winograd.wasm"),
  ],
  compatibilityDate = "2025-01-01",
);
