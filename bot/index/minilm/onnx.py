"""The model run: tokenized as sentence-transformers does, mean-pooled, unit length."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Encoding, Tokenizer

from bot.index.minilm import DIMENSION, INT8, TOKENIZER, TOKENIZER_SHA256, Build, verified

MAX_TOKENS = 256  # the model's max_seq_length
# A run over a text longer than this gives the memory it took back (passages, at ingest); a question's
# run keeps its memory for the next question.
SHRINK_AFTER_TOKENS = 64
THREADS = len(os.sched_getaffinity(0))


class MiniLM:
    """Queries and documents are embedded alike (this model has no query prefix).

    Each text is a run of its own, never padded and never batched with others: the int8 build quantizes
    each run's activations with one scale for the whole run, so a text embedded next to others came out
    different (cosine 0.988 to itself alone), and a question's answer would depend on who else asked at
    the same moment. Alone, a text always gives the same vector; and it is cheaper, not dearer: with no
    padding, passages took 34 ms each alone against 50 ms in length-sorted batches of 8.

    Runs go in parallel, one core each (one thread per run): on a 2-core machine shared with other
    work, ONNX Runtime's threads splitting each run spun waiting for a core that was busy elsewhere, and
    spent half again as much CPU per text.
    """

    dimension = DIMENSION

    def __init__(self, build: Build = INT8, tokenizer: Path = TOKENIZER, threads: int = THREADS) -> None:
        self.tokenizer = Tokenizer.from_file(str(verified(tokenizer, TOKENIZER_SHA256)))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128; no text is padded here
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about the quantized graph are not ours to act on
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(build.file()), options, providers=["CPUExecutionProvider"])
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="minilm")

    def _run(self, encoding: Encoding) -> list[float]:
        ids = np.array([encoding.ids], dtype=np.int64)
        hidden = self.session.run(["last_hidden_state"], {
            "input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
            self._shrink if ids.shape[1] > SHRINK_AFTER_TOKENS else None)[0]
        pooled = hidden[0].mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        encodings = self.tokenizer.encode_batch(texts)
        return [self._run(encodings[0])] if len(texts) == 1 else list(self.pool.map(self._run, encodings))

    def embed_query(self, text: str) -> list[float]:
        return self._run(self.tokenizer.encode(text))
