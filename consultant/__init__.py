"""CaseConsultant: answers emailed medical coding questions, with a reviewer in the loop."""

__version__ = "0.1.0"
