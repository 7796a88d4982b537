"""One router per concern: resources, apply/diff, events, logs, sources, system."""
