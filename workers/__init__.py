"""The Celery app and the tasks that run each pipeline step."""
