"""Running the bot: logs, metrics, health endpoints, memory handed back, and files only its user reads."""
