"""Finding and redacting mainland-China personal data (脱敏) in chat records."""
