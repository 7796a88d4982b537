"""Manifest sources that feed the apply path: watched directories and git."""
