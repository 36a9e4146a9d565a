"""The model run: tokenized as sentence-transformers does, mean-pooled over the mask, unit length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from bot.index.minilm import MODEL_SHA256, TOKENIZER, TOKENIZER_SHA256, model_file, verified

MAX_TOKENS = 256  # the model's max_seq_length
BATCH = 32


class MiniLM:
    """Queries and documents are embedded alike (this model has no query prefix)."""

    def __init__(self, model: Path | None = None, tokenizer: Path = TOKENIZER) -> None:
        self.tokenizer = Tokenizer.from_file(str(verified(tokenizer, TOKENIZER_SHA256)))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest of each batch
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about the int8 graph are not ours to act on
        self.session = onnxruntime.InferenceSession(str(verified(model or model_file(), MODEL_SHA256)), options,
                                                    providers=["CPUExecutionProvider"])

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session.run(["last_hidden_state"], {
            "input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """In batches of similar length (texts sorted by length), so little of each batch is padding."""
        order = sorted(range(len(texts)), key=lambda n: len(texts[n]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            for n, vector in zip(chunk, self._batch([texts[n] for n in chunk]), strict=True):
                vectors[n] = vector.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
