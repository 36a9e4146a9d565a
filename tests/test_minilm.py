"""The default embedding model: its files are checked, and it embeds as the model should."""

import shutil

import numpy as np
import pytest

from bot.index.minilm import MODEL_SHA256, TOKENIZER, ModelFileError, model_file
from bot.index.minilm.onnx import MiniLM


def test_a_model_file_that_is_not_the_checked_one_is_refused(tmp_path):
    changed = tmp_path / "model.onnx"
    shutil.copyfile(model_file(), changed)
    with changed.open("r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    with pytest.raises(ModelFileError, match=rf"{changed}: sha256 is \w+, expected {MODEL_SHA256}"):
        MiniLM(changed)
    with pytest.raises(ModelFileError, match="cannot read"):
        MiniLM(tmp_path / "missing.onnx")
    short = tmp_path / "tokenizer.json"
    short.write_text(TOKENIZER.read_text(encoding="utf-8")[:-10], encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"tokenizer\.json: sha256"):
        MiniLM(tokenizer=short)


def test_unit_vectors_that_keep_meaning_and_ignore_batch_order():
    model = MiniLM()
    texts = ["When is the paper submission deadline?", "What is the deadline for submitting papers?",
             "Where can I park my bicycle?", "word " * 600]  # longer than 256 tokens: truncated, not refused
    together = np.array(model.embed_documents(texts))
    alone = np.array([model.embed_query(t) for t in texts])
    assert together.shape == (4, 384)
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)  # padding to the batch's longest changes nothing
    similar, unrelated = together[0] @ together[1], together[0] @ together[2]
    assert similar > 0.7 > 0.3 > unrelated
