"""Review: the queue of drafts, and the transitions reviewers and workers make."""
