"""Finding medical code references in the text of a question."""

from consultant.extraction.extractor import CodeReference, extract

__all__ = ["CodeReference", "extract"]
