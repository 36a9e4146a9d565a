"""Text helpers: mail addresses and URLs checked, Slack mrkdwn, and private details redacted from logs."""
