"""Prometheus metrics measured in this process (the outbox's counts are read from the database at each
scrape instead: bot/storage/metrics.py)."""

from prometheus_client import Counter, Gauge, Histogram

LEADER = Gauge("workshop_bot_leader", "1 while this process runs the reminder service (the scheduler)")
SEND_SECONDS = Histogram("workshop_bot_outbox_send_seconds", "Time to deliver one outbox message, retries included",
                         ["medium"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
REMINDER_LATENESS = Histogram("workshop_bot_reminder_lateness_seconds",
                              "How long after its due time a reminder went out",
                              buckets=(1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600))
INBOUND_MAIL = Counter("workshop_bot_inbound_mail", "Mail received at the bot's address, by what became of it",
                       ["outcome"])  # exposed as workshop_bot_inbound_mail_total
SITE_UP = Gauge("workshop_bot_site_up", "1 when the last crawl of a site given by its URL read it, else 0", ["site"])
SITE_CRAWLED = Gauge("workshop_bot_site_last_crawl_timestamp_seconds",
                     "When a site given by its URL was last read (Unix time)", ["site"])
