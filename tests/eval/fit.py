"""`python -m tests.eval.fit`: fit the answer decision (bot/assistant/decision.json) on the tuning data,
and report each tuning site answered with a decision fit without it (leave one site out).

The tuning data are the tuning editions of `tests/eval` and the tuning sites of `tests/eval/sites`
present on this machine (`tests/eval/tuning.py`). For every question that the assistant's structured
answers (facts, programme, rules, people, lists, sections) leave to the passages, each retrieved
passage is measured (bot/assistant/decision.py) and labelled: does it contain what a correct answer must
(every `expect` and one `any_of`)? For a question the pages cannot answer, no passage does. A logistic
regression is fit on those. The threshold is the one that maximizes correct answers minus twice the
wrong ones (a wrong fact costs more than a decline), as `compose` would answer: a question is answered
when a passage passes the threshold, and rightly when the most probable passage holds the answer.
Held-out editions and held-out or fresh sites are never looked at.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.assistant.compose import candidates
from bot.assistant.decision import FEATURES, AnswerModel, measure
from bot.assistant.intent import intent_of
from bot.assistant.question import QuestionError, clean_question, target_edition, without_courtesies
from tests.eval.harness import Score, _now, contains, evaluate
from tests.eval.tuning import TuningSet, tuning_sets

DECISION = Path(__file__).resolve().parents[2] / "bot" / "assistant" / "decision.json"
WRONG_COST = 2.0
L2 = 0.1
THRESHOLDS = np.round(np.linspace(0.2, 0.9, 15), 3)
EVERY_PASSAGE = AnswerModel((0.0,) * len(FEATURES), 0.0, 0.5)


@dataclass
class Question:
    """A question left to the passages: each candidate's features and whether it holds the answer."""

    features: np.ndarray  # one row per candidate passage
    answers: np.ndarray  # bool per candidate
    answerable: bool


def _answers(text: str, item: dict) -> bool:
    if item.get("answered", True) is False:
        return False
    return all(contains(text, s) for s in item.get("expect", [])) and (
        not item.get("any_of") or any(contains(text, s) for s in item["any_of"]))


def collect(tuning: TuningSet) -> list[Question]:
    """The set's questions that reach the passages, as the assistant reads them."""
    assistant, questions = tuning.assistant, []
    for item in tuning.items:
        try:
            text = without_courtesies(clean_question(item["q"], assistant.settings.max_question_chars))
        except QuestionError:
            continue
        edition, _ = target_edition(text, assistant.editions)
        if edition is None:
            continue
        retrieval = assistant.retriever.search(text, edition.id)
        if assistant._from_structure(text, text, edition, assistant.facts(edition), retrieval, _now(item)):
            continue
        found = candidates(retrieval, intent_of(text), EVERY_PASSAGE)
        if not found:
            continue
        features = np.array([[measure(c.hit, retrieval.terms)[f] for f in FEATURES] for c in found], dtype=float)
        labels = np.array([_answers(c.hit.body, item) for c in found], dtype=bool)
        questions.append(Question(features, labels, item.get("answered", True) is not False))
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


def gain(questions: list[Question], weights: np.ndarray, bias: float, threshold: float) -> float:
    """Correct minus WRONG_COST × wrong, as compose answers with this decision."""
    total = 0.0
    for question in questions:
        probabilities = 1 / (1 + np.exp(-(question.features @ weights + bias)))
        best = int(np.argmax(probabilities))
        if probabilities[best] < threshold:
            total += 0.0 if question.answerable else 1.0
        else:
            total += 1.0 if question.answers[best] else -WRONG_COST
    return total


def fit(questions: list[Question]) -> AnswerModel:
    x = np.vstack([q.features for q in questions])
    y = np.concatenate([q.answers for q in questions]).astype(float)
    weights, bias = fit_logistic(x, y)
    weights, bias = np.round(weights, 4), round(bias, 4)
    threshold = max(THRESHOLDS, key=lambda t: gain(questions, weights, bias, float(t)))
    return AnswerModel(tuple(float(w) for w in weights), float(bias), float(threshold))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.fit")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workshop-bot-eval")
    args = parser.parse_args()
    sets = list(tuning_sets(args.data))
    collected = {tuning.name: collect(tuning) for tuning in sets}
    every = [q for questions in collected.values() for q in questions]
    model = fit(every)
    DECISION.write_text(model.to_json(
        fitted_on="tuning editions of tests/eval and tuning sites of tests/eval/sites (python -m tests.eval.fit)",
        sets=[tuning.name for tuning in sets], questions=len(every),
        passages=sum(len(q.answers) for q in every), positives=int(sum(q.answers.sum() for q in every))) + "\n")
    print(f"{len(every)} questions left to the passages; threshold {model.threshold:.2f}")
    for name, w in zip(FEATURES, model.weights, strict=True):
        print(f"  {name:>15}: {w:+.3f}")
    print(f"  {'bias':>15}: {model.bias:+.3f}")
    print("leave one site out (each tuning set answered with a decision fit on the others):")
    left_out = []
    for tuning in sets:
        kept = tuning.assistant.model
        tuning.assistant.model = fit([q for name, qs in collected.items() if name != tuning.name for q in qs])
        outcomes = evaluate(tuning.assistant, tuning.items, tuning.name)
        tuning.assistant.model = kept
        left_out.extend(outcomes)
        print(f"  {tuning.name}: {Score.of(outcomes).line()}")
    print(f"tuning sets, each left out: {Score.of(left_out).line()}")


if __name__ == "__main__":
    main()
