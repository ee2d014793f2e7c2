"""Word search over the descriptors of the editions in force.

SQLite uses the FTS5 table ``codes_fts`` (Porter stemming, BM25 ranking); PostgreSQL
uses English text search over the stored, GIN-indexed ``codes.search_vector`` column.
Both first require every word and, when that finds nothing, accept any of them.
Ranking costs time in proportion to the matches, so a query made only of words common
to thousands of descriptors (such as "open approach") returns matches in stored order,
with score 0, instead of ranking them all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, select, text
from sqlalchemy.orm import Session

from consultant.codes.info import source_name
from consultant.codes.models import Code, CodeRelease, SearchTerm
from consultant.codes.releases import release_in_force

# Code systems whose descriptors are searched; modifiers come with the HCPCS release.
SEARCHED_RELEASES = ("icd10cm", "icd10pcs", "hcpcs", "cpt")
DEFAULT_LIMIT = 20
_WORD = re.compile(r"[0-9a-z]+")
# Most matches a query may have and still be ranked, estimated from the common terms.
RANKING_LIMIT = 5000

_SQLITE = """
SELECT codes.id AS id, bm25(codes_fts) AS score
FROM codes_fts JOIN codes ON codes.id = codes_fts.rowid
WHERE codes_fts MATCH :query AND codes.release_id IN :releases
ORDER BY score, codes.billable DESC, codes.code
LIMIT :limit
"""
_SQLITE_UNRANKED = """
SELECT codes.id AS id, 0.0 AS score
FROM codes_fts JOIN codes ON codes.id = codes_fts.rowid
WHERE codes_fts MATCH :query AND codes.release_id IN :releases
LIMIT :limit
"""
_POSTGRESQL_UNRANKED = """
SELECT codes.id AS id, 0.0 AS score
FROM codes, to_tsquery('english', :query) AS query
WHERE codes.search_vector @@ query AND codes.release_id IN :releases
LIMIT :limit
"""
_POSTGRESQL = """
SELECT codes.id AS id, ts_rank(codes.search_vector, query) AS score
FROM codes, to_tsquery('english', :query) AS query
WHERE codes.search_vector @@ query AND codes.release_id IN :releases
ORDER BY score DESC, codes.billable DESC, codes.code
LIMIT :limit
"""


@dataclass
class SearchHit:
    """One code whose descriptor matches the words, with the edition it came from."""

    system: str
    code: str
    description: str
    billable: bool
    source: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def words_of(phrase: str) -> list[str]:
    """Split *phrase* into lower-case words; punctuation and search operators are dropped."""
    return list(dict.fromkeys(_WORD.findall(phrase.lower())))


def _releases(session: Session) -> dict[int, CodeRelease]:
    found: dict[int, CodeRelease] = {}
    for system in SEARCHED_RELEASES:
        release, _ = release_in_force(session, system, None)
        if release is not None:
            found[release.id] = release
    return found


def _documents(session: Session, words: list[str], releases: list[int]) -> dict[str, int]:
    """Return how many descriptors hold each common word of *words*; rarer words are absent."""
    query = (
        select(SearchTerm.term, func.sum(SearchTerm.documents))
        .where(SearchTerm.release_id.in_(releases), SearchTerm.term.in_(words))
        .group_by(SearchTerm.term)
    )
    return {term: int(total) for term, total in session.execute(query)}


def _run(
    session: Session,
    words: list[str],
    joiner: str,
    releases: list[int],
    limit: int,
    *,
    ranked: bool,
) -> Sequence[Row[Any]]:
    if session.get_bind().dialect.name == "postgresql":
        statement = _POSTGRESQL if ranked else _POSTGRESQL_UNRANKED
        query = f" {'&' if joiner == 'AND' else '|'} ".join(words)
    else:
        statement = _SQLITE if ranked else _SQLITE_UNRANKED
        query = f" {joiner} ".join(f'"{word}"' for word in words)
    bound = text(statement).bindparams(bindparam("releases", expanding=True))
    parameters = {"query": query, "releases": releases, "limit": limit}
    return session.execute(bound, parameters).all()


def search(session: Session, phrase: str, *, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """Return the codes of the editions in force whose descriptors best match *phrase*."""
    words = words_of(phrase)
    releases = _releases(session)
    if not words or not releases:
        return []
    ids = list(releases)
    documents = _documents(session, words, ids)
    rarest = min(documents.get(word, 0) for word in words)
    matches = _run(session, words, "AND", ids, limit, ranked=rarest <= RANKING_LIMIT)
    if not matches and len(words) > 1:
        either = sum(documents.get(word, 0) for word in words)
        matches = _run(session, words, "OR", ids, limit, ranked=either <= RANKING_LIMIT)
    if not matches:
        return []
    scores = {row.id: float(row.score) for row in matches}
    rows = {row.id: row for row in session.scalars(select(Code).where(Code.id.in_(scores)))}
    return [
        SearchHit(
            system=rows[code_id].system,
            code=rows[code_id].code,
            description=rows[code_id].description,
            billable=rows[code_id].billable,
            source=source_name(releases[rows[code_id].release_id]),
            score=round(abs(score), 4),
        )
        for code_id, score in scores.items()
    ]
