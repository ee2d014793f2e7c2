"""The reviewers' web queue and its JSON API, served by ``caseconsultant web``."""
