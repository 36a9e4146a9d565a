"""The outbox: every message the bot sends on its own (reminders, announcements, digests, drafts) is a
keyed row first, so it is sent once and never lost; the sender delivers rows and records the outcome."""
