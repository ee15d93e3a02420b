"""Finding messages and conversations in the store: filters, search, transcripts, read-only SQL."""
