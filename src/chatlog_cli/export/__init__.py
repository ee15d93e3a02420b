"""Export messages from the store to files people and tools read."""
