"""Prometheus metrics, served on GET /metrics in HTTP mode."""

from prometheus_client import Counter, Histogram

QUESTIONS = Counter("workshop_bot_questions_total", "Questions answered", ["via", "answered"])
ANSWER_SECONDS = Histogram("workshop_bot_answer_seconds", "Time to compute an answer",
                           buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ESCALATIONS = Counter("workshop_bot_escalations_total", "Questions handed to organizers")
FEEDBACK = Counter("workshop_bot_feedback_total", "Feedback votes", ["helpful"])
REDELIVERIES = Counter("workshop_bot_redeliveries_total", "Slack events received again and dropped")
