"""The default embedding model: its files are checked, it embeds as the model should, and the int8 build
is reproducible from the pinned export."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.index.minilm import FLOAT32, INT8, INT8_MODEL, INT8_SHA256, TOKENIZER, Build, ModelFileError
from bot.index.minilm.onnx import MiniLM

ROOT = Path(__file__).parents[1]


def test_a_model_file_that_is_not_the_checked_one_is_refused(tmp_path):
    changed = tmp_path / "model.onnx"
    shutil.copyfile(INT8_MODEL, changed)
    with changed.open("r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    with pytest.raises(ModelFileError, match=rf"{changed}: sha256 is \w+, expected {INT8_SHA256}"):
        MiniLM(Build(INT8_SHA256, changed))
    with pytest.raises(ModelFileError, match="cannot read"):
        MiniLM(Build(INT8_SHA256, tmp_path / "missing.onnx"))
    short = tmp_path / "tokenizer.json"
    short.write_text(TOKENIZER.read_text(encoding="utf-8")[:-10], encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"tokenizer\.json: sha256"):
        MiniLM(tokenizer=short)


@pytest.mark.parametrize("build", [INT8, FLOAT32], ids=["int8", "fp32"])
def test_unit_vectors_that_keep_meaning_and_ignore_batch_order(build):
    model = MiniLM(build)
    texts = ["When is the paper submission deadline?", "What is the deadline for submitting papers?",
             "Where can I park my bicycle?", "word " * 600]  # longer than 256 tokens: truncated, not refused
    together = np.array(model.embed_documents(texts))
    alone = np.array([model.embed_query(t) for t in texts])
    assert together.shape == (4, 384)
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    assert np.array_equal(together, alone)  # a question's vector never depends on who else asked with it
    similar, unrelated = together[0] @ together[1], together[0] @ together[2]
    assert similar > 0.7 > 0.3 > unrelated


def test_the_int8_build_is_what_the_quantizer_makes_of_the_pinned_export(tmp_path):
    made = tmp_path / "model-int8.onnx"
    subprocess.run([sys.executable, str(ROOT / "tools" / "quantize_minilm.py"), str(made)], check=True,
                   capture_output=True, timeout=300)
    assert hashlib.sha256(made.read_bytes()).hexdigest() == INT8_SHA256
