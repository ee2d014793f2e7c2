"""Rows of the code knowledge base: one release per imported file, its codes and edits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultant.storage.base import Base, UTCDateTime, utcnow


class CodeRelease(Base):
    """One imported edition of one code system, with the file it came from."""

    __tablename__ = "code_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(16), index=True)
    edition: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    codes: Mapped[list[Code]] = relationship(back_populates="release")


class Code(Base):
    """One code of one release, with its official descriptor."""

    __tablename__ = "codes"
    __table_args__ = (Index("ix_codes_system_code", "system", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_releases.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    short_description: Mapped[str | None] = mapped_column(Text)
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    release: Mapped[CodeRelease] = relationship(back_populates="codes")


class CodeDefinition(Base):
    """A term of the ICD-10-PCS definitions file: a root operation, approach, device or body part.

    Terms are keyed by section and axis position, because the same word (such as
    "Excision") is defined once per section.  Position 0 holds the device aggregation
    table: the general device value as the term, the specific device as the definition,
    the operation as the explanation and the body systems as includes.
    """

    __tablename__ = "code_definitions"
    __table_args__ = (Index("ix_code_definitions_lookup", "release_id", "section", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_releases.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(1))
    position: Mapped[int] = mapped_column(Integer)
    term: Mapped[str] = mapped_column(String(255))
    definition: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    includes: Mapped[list[str]] = mapped_column(JSON, default=list)


class PtpEdit(Base):
    """An NCCI procedure-to-procedure edit: column 2 is not paid with column 1 on one date."""

    __tablename__ = "ncci_ptp_edits"
    __table_args__ = (Index("ix_ncci_ptp_edits_pair", "release_id", "column1", "column2"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_releases.id", ondelete="CASCADE"))
    column1: Mapped[str] = mapped_column(String(16))
    column2: Mapped[str] = mapped_column(String(16))
    existed_before_1996: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_from: Mapped[date] = mapped_column(Date)
    deleted_on: Mapped[date | None] = mapped_column(Date)
    modifier_indicator: Mapped[str] = mapped_column(String(1))
    rationale: Mapped[str | None] = mapped_column(Text)


class MueLimit(Base):
    """An NCCI medically unlikely edit: the most units of a code per line or date of service."""

    __tablename__ = "ncci_mue_limits"
    __table_args__ = (Index("ix_ncci_mue_limits_code", "release_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_releases.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(Integer)
    adjudication_indicator: Mapped[str] = mapped_column(String(1))
    adjudication_text: Mapped[str | None] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)


class AddOnCode(Base):
    """An NCCI add-on code with one of its primary codes (none for edit type 2)."""

    __tablename__ = "ncci_addon_codes"
    __table_args__ = (Index("ix_ncci_addon_codes_addon", "release_id", "addon_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_releases.id", ondelete="CASCADE"))
    addon_code: Mapped[str] = mapped_column(String(16))
    primary_code: Mapped[str | None] = mapped_column(String(16))
    edit_type: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date | None] = mapped_column(Date)
    deleted_on: Mapped[date | None] = mapped_column(Date)


class RvuValue(Base):
    """A row of the CMS Physician Fee Schedule RVU file, without its descriptor."""

    __tablename__ = "pfs_rvu_values"
    __table_args__ = (Index("ix_pfs_rvu_values_code", "release_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_releases.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    modifier: Mapped[str | None] = mapped_column(String(4))
    status_code: Mapped[str | None] = mapped_column(String(4))
    global_days: Mapped[str | None] = mapped_column(String(8))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SearchTerm(Base):
    """A word common in the descriptors of one release, with how many descriptors hold it.

    Word search reads these counts to skip ranking when every word of a query is so
    common that ranking all matches would be slow and tell the reader nothing.
    """

    __tablename__ = "code_search_terms"
    __table_args__ = (Index("ix_code_search_terms_term", "release_id", "term"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_releases.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(64))
    documents: Mapped[int] = mapped_column(Integer)
