"""Announcements organizers trigger (from Slack or the CLI) and those the bot drafts when a deadline
moves: composed from `prompts/announcements/`, recorded with an audit trail, sent through the outbox,
and indexed once sent so the assistant answers from them."""
