"""What editors and the coordinator read: unanswered questions, feedback, content health and
usage figures. Computed from the SQLite file and the content; no telegram here."""
