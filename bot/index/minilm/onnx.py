"""The model run: tokenized as sentence-transformers does, mean-pooled over the mask, unit length."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Encoding, Tokenizer

from bot.index.minilm import MODEL_SHA256, TOKENIZER, TOKENIZER_SHA256, model_file, verified

MAX_TOKENS = 256  # the model's max_seq_length
BATCH = 8  # texts per run: activations of 8 stay in cache, and a run of 32 took a fifth longer per text
# Tokens per run at most (texts × the longest one): attention's memory grows with the square of the
# length, so 32 passages of 256 tokens take 650 MB where 4 take 80 MB, and run no faster per passage.
BATCH_TOKENS = 1024
# A run over texts longer than this gives the memory it took back (passages, at ingest); question
# batches keep theirs for the next question.
SHRINK_AFTER_TOKENS = 64
THREADS = len(os.sched_getaffinity(0))


class MiniLM:
    """Queries and documents are embedded alike (this model has no query prefix).

    Runs go in parallel, one core each (one thread per run): on a 2-core machine shared with other
    work, ONNX Runtime's threads splitting each run spun waiting for a core that was busy elsewhere, and
    spent half again as much CPU per text. A vector does not depend on which texts share its run: the
    same text gives the same vector alone, in a batch, or padded to another length.
    """

    def __init__(self, model: Path | None = None, tokenizer: Path = TOKENIZER, threads: int = THREADS) -> None:
        self.tokenizer = Tokenizer.from_file(str(verified(tokenizer, TOKENIZER_SHA256)))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128; each run is padded to its longest here
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about the int8 graph are not ours to act on
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(verified(model or model_file(), MODEL_SHA256)), options,
                                                    providers=["CPUExecutionProvider"])
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="minilm")

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
        """Shortest first, so little of each run is padding; several runs at once."""
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda n: len(encodings[n].ids))
        batches = list(self._batches(order, encodings))
        runs = [[encodings[n] for n in batch] for batch in batches]
        results = map(self._run, runs) if len(runs) == 1 else self.pool.map(self._run, runs)
        vectors: list[list[float]] = [[] for _ in texts]
        for batch, pooled in zip(batches, results, strict=True):
            for n, vector in zip(batch, pooled, strict=True):
                vectors[n] = vector.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
