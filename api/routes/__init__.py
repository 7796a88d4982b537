"""One router per concern: resources, apply/diff, events, system."""
