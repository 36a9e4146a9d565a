"""Prometheus metrics, served on GET /metrics in HTTP mode."""

from prometheus_client import Counter, Histogram

QUESTIONS = Counter("workshop_bot_questions_total", "Questions answered", ["via", "answered"])
ANSWER_SECONDS = Histogram("workshop_bot_answer_seconds", "Time to compute an answer",
                           buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ACK_SECONDS = Histogram("workshop_bot_ack_seconds", "From a Slack request's arrival to its acknowledgement",
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
ESCALATIONS = Counter("workshop_bot_escalations_total", "Questions handed to organizers")
FEEDBACK = Counter("workshop_bot_feedback_total", "Feedback votes", ["helpful"])
REDELIVERIES = Counter("workshop_bot_redeliveries_total",
                       "Messages received again (a retry, or as both message and app_mention) and dropped")
