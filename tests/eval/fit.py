"""`python -m tests.eval.fit`: fit the answer decision (bot/assistant/decision.json) on the TUNING editions.

For every tuning question that the edition's facts and programme do not answer, each retrieved passage
is measured (bot/assistant/decision.py) and labelled: does it contain what a correct answer must
(every `expect` and one `any_of`)? For a question the pages cannot answer, no passage does. A logistic
regression is fit on those, and the threshold is the one that maximizes correct answers minus twice
the wrong ones (a wrong fact costs more than a decline). Held-out editions are never looked at.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from bot.assistant.compose import candidates
from bot.assistant.decision import FEATURES, AnswerModel, measure
from bot.assistant.intent import intent_of
from bot.assistant.programme import programme_reply
from bot.assistant.question import target_edition
from bot.assistant.structured import answer_from_facts
from tests.eval.harness import CORPORA, HELD_OUT, _now, contains, corpus_items, evaluate
from tests.eval.setup import corpus_assistant

DECISION = Path(__file__).resolve().parents[2] / "bot" / "assistant" / "decision.json"
WRONG_COST = 2.0
L2 = 0.1


def _answers(text: str, item: dict) -> bool:
    if item.get("answered", True) is False:
        return False
    return all(contains(text, s) for s in item.get("expect", [])) and (
        not item.get("any_of") or any(contains(text, s) for s in item["any_of"]))


def collect(data: Path) -> list[list[tuple[list[float], bool]]]:
    """Per tuning question that reaches the passages: (features, answers?) of each candidate."""
    questions = []
    for name, corpus in CORPORA.items():
        assistant, _ = corpus_assistant(corpus, data / name)
        for item in corpus_items(corpus):
            if (name, item.get("edition")) in HELD_OUT:
                continue
            edition, _ = target_edition(item["q"], assistant.editions)
            if edition is None:
                continue
            facts = assistant.facts(edition)
            retrieval = assistant.retriever.search(item["q"], edition.id)
            intent = intent_of(item["q"])
            topics = assistant.retriever.snapshot(edition.id).topics()
            now = _now(item)
            if answer_from_facts(item["q"], retrieval.terms, intent, facts, now, topics) or \
                    programme_reply(item["q"], retrieval.terms, intent, facts, now, topics):
                continue
            model = AnswerModel((0.0,) * len(FEATURES), 0.0, 0.5)  # every passage a candidate
            rows = []
            for candidate in candidates(retrieval, intent, model):
                features = measure(candidate.hit, retrieval.terms)
                rows.append(([features[f] for f in FEATURES], _answers(candidate.hit.body, item)))
            questions.append(rows)
    return questions


def fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """L2-regularized logistic regression by Newton's method (a few dozen examples per feature)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + L2 * np.r_[w[:-1], 0]
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + L2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def choose_threshold(data: Path, weights: tuple[float, ...], bias: float) -> float:
    """The threshold whose answers, judged as the evaluation judges them, score best on the tuning
    editions: correct answers minus WRONG_COST times the wrong ones."""
    assistants = {name: corpus_assistant(corpus, data / name)[0] for name, corpus in CORPORA.items()}
    best, best_gain = 0.5, -np.inf
    for threshold in np.linspace(0.2, 0.9, 15):
        gain = 0.0
        for name, corpus in CORPORA.items():
            assistant = assistants[name]
            assistant.model = AnswerModel(weights, bias, float(threshold))
            items = [i for i in corpus_items(corpus) if (name, i.get("edition")) not in HELD_OUT]
            verdicts = [o.verdict for o in evaluate(assistant, items, name)]
            gain += verdicts.count("correct") - WRONG_COST * verdicts.count("wrong")
        if gain > best_gain:
            best, best_gain = float(threshold), gain
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.fit")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workshop-bot-eval")
    args = parser.parse_args()
    questions = collect(args.data)
    rows = [row for rows in questions for row in rows]
    x = np.array([f for f, _ in rows], dtype=float)
    y = np.array([label for _, label in rows], dtype=float)
    fitted, bias = fit_logistic(x, y)
    weights = tuple(round(float(w), 4) for w in fitted)
    threshold = choose_threshold(args.data, weights, round(bias, 4))
    model = AnswerModel(weights, round(bias, 4), round(threshold, 3))
    DECISION.write_text(model.to_json(
        fitted_on="tuning editions of tests/eval (python -m tests.eval.fit)",
        questions=len(questions), passages=len(rows), positives=int(y.sum())) + "\n")
    print(f"{len(questions)} questions, {len(rows)} passages ({int(y.sum())} answering); "
          f"threshold {threshold:.2f}")
    for name, w in zip(FEATURES, weights, strict=True):
        print(f"  {name:>15}: {w:+.3f}")
    print(f"  {'bias':>15}: {bias:+.3f}")


if __name__ == "__main__":
    main()
