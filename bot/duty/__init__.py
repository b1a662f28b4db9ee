"""Live duty chat: a person talks to the duty coach of their language in real time."""
