"""The model run: tokenized as sentence-transformers does, mean-pooled over the mask, unit length."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime
from langchain_core.embeddings import Embeddings
from tokenizers import Encoding, Tokenizer

from bot.index.minilm import MODEL_SHA256, TOKENIZER, TOKENIZER_SHA256, model_file, verified

MAX_TOKENS = 256  # the model's max_seq_length
BATCH = 32  # texts per run at most
# Tokens per run at most (texts × the longest one): attention's memory grows with the square of the
# length, so 32 passages of 256 tokens take 650 MB where 4 take 80 MB, and run no faster per passage.
BATCH_TOKENS = 1024
# A run over texts longer than this gives the memory it took back (passages, at ingest); question
# batches keep theirs for the next question.
SHRINK_AFTER_TOKENS = 64


class MiniLM(Embeddings):
    """Queries and documents are embedded alike (this model has no query prefix).

    A vector does not depend on which texts share its run, nor on the number of threads: the same
    text gives the same bits alone, in a batch, or padded to another length.
    """

    def __init__(self, model: Path | None = None, tokenizer: Path = TOKENIZER) -> None:
        self.tokenizer = Tokenizer.from_file(str(verified(tokenizer, TOKENIZER_SHA256)))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128; each run is padded to its longest here
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about the int8 graph are not ours to act on
        # Threads that wait for work sleep instead of spinning: a spinning one took a third of the
        # CPU of a busy bot, away from the threads answering on the other core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(verified(model or model_file(), MODEL_SHA256)), options,
                                                    providers=["CPUExecutionProvider"])
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def _run(self, encodings: list[Encoding]) -> np.ndarray:
        longest = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), longest), dtype=np.int64)  # [PAD] is 0
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
        hidden = self.session.run(["last_hidden_state"], {
            "input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            self._shrink if longest > SHRINK_AFTER_TOKENS else None)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    @staticmethod
    def _batches(order: list[int], encodings: list[Encoding]) -> Iterator[list[int]]:
        """Indexes in runs of similar length (`order` is by length, shortest first), each within BATCH
        texts and BATCH_TOKENS tokens."""
        batch: list[int] = []
        for n in order:
            if batch and (len(batch) == BATCH or (len(batch) + 1) * len(encodings[n].ids) > BATCH_TOKENS):
                yield batch
                batch = []
            batch.append(n)
        if batch:
            yield batch

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Shortest first, so little of each run is padding."""
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda n: len(encodings[n].ids))
        vectors: list[list[float]] = [[] for _ in texts]
        for batch in self._batches(order, encodings):
            for n, vector in zip(batch, self._run([encodings[n] for n in batch]), strict=True):
                vectors[n] = vector.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
