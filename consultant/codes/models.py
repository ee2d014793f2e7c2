"""Rows of the code knowledge base: one release per imported file, one row per code."""

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
