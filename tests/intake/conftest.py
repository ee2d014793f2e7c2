from tests.intake.helpers import sent_tasks

__all__ = ["sent_tasks"]
