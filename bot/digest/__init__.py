"""The mailing-list digest: what was announced, what is due and what people asked, and its review by organizers."""
