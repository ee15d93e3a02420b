"""Keyword tagging: rules files, the Aho-Corasick matcher, tags in the store (`chatlog tag`)."""
