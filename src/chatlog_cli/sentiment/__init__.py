"""Sentiment (情绪值): snownlp's scores, exact and fast, per message and per conversation."""
