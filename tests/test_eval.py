"""The evaluation set as a gate: the assistant must answer at least 90% of it correctly."""

from tests.eval.harness import evaluate, load_items

THRESHOLD = 0.90


def test_eval_set_covers_every_page_and_both_editions():
    items = load_items()
    assert len(items) >= 40
    assert {i.get("edition") for i in items} >= {"neurips2025", "neurips2023"}
    assert sum(1 for i in items if i.get("answered", True) is False) >= 5
    assert any("now" in i for i in items)


def test_assistant_scores_at_least_90_percent(assistant):
    outcomes = evaluate(assistant)
    failures = [f"{o.item['q']!r}: {'; '.join(o.problems)}" for o in outcomes if not o.passed]
    score = 1 - len(failures) / len(outcomes)
    assert score >= THRESHOLD, f"{score:.0%} < {THRESHOLD:.0%}:\n" + "\n".join(failures)
