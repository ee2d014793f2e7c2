"""Join the code, intake, web and delivery migrations into one head.

Revision ID: 0500
Revises: 0103, 0201, 0301, 0401
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0500"
down_revision: str | Sequence[str] | None = ("0103", "0201", "0301", "0401")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the four branches touch separate tables and columns."""


def downgrade() -> None:
    """Nothing to change."""
