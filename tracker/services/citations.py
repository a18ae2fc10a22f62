"""Find the citations in self-assessment text and check them against the real IR items."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from ..models import (
    Citation,
    CitationKind,
    CitationProblem,
    DataSource,
    Entry,
    EvidenceItem,
    QualityStatement,
)

ENTRY_COLUMNS = ("what_we_know", "how_we_know", "our_plans")

BRACKETED = re.compile(r"\^?\[([^\[\]\n]{0,160})\]")
BARE_IR = re.compile(r"(?<![A-Za-z0-9])IR\s?0*(\d{1,3})(?![A-Za-z0-9])")
SOURCE = re.compile(r"^\s*Sources?\s*:\s*(.*?)\s*$", re.IGNORECASE)
SOURCE_NO_COLON = re.compile(r"^\s*Sources?\b", re.IGNORECASE)
IR_LIST = re.compile(r"^\s*IR\s?0*(\d{1,3})((?:\s*(?:,|;|&|and|[-–])\s*(?:IR\s?)?0*\d{1,3})*)\s*$")
IR_LIST_PART = re.compile(r"(,|;|&|and|[-–])\s*(?:IR\s?)?0*(\d{1,3})")
LOOKS_LIKE_REF = re.compile(r"^\s*([A-Za-z]{1,3})\s?-?\s?(\d{1,3})\b")
MAX_RANGE = 20


@dataclass(frozen=True)
class Found:
    """One citation found in a piece of text."""

    raw: str
    kind: CitationKind | None
    ir_number: int | None = None
    source: str | None = None
    problem: CitationProblem | None = None
    message: str = ""


def _ir_numbers(content: str) -> list[int] | None:
    """The IR numbers in '[IR 5, 6 and IR 7]' or '[IR 5-7]', or None if it does not parse."""
    match = IR_LIST.match(content)
    if not match:
        return None
    numbers = [int(match.group(1))]
    for sep, num in IR_LIST_PART.findall(match.group(2)):
        n = int(num)
        if sep in "-–":
            start = numbers[-1]
            if n <= start or n - start > MAX_RANGE:
                return None
            numbers.extend(range(start + 1, n + 1))
        else:
            numbers.append(n)
    return numbers


def _bracketed(raw: str, content: str) -> list[Found]:
    """Interpret one [...] group: a source, IR references, a malformed reference or nothing."""
    source = SOURCE.match(content)
    if source:
        names = [n.strip() for n in source.group(1).split(";") if n.strip()]
        if not names:
            return [
                Found(
                    raw,
                    None,
                    problem=CitationProblem.MALFORMED,
                    message=f"{raw} names no data source: write [Source: name]",
                )
            ]
        return [Found(raw, CitationKind.SOURCE, source=name) for name in names]
    if SOURCE_NO_COLON.match(content):
        return [
            Found(
                raw,
                None,
                problem=CitationProblem.MALFORMED,
                message=f"{raw} is missing a colon: write [Source: name]",
            )
        ]
    if re.match(r"^\s*IR\b", content) or re.match(r"^\s*IR\d", content):
        numbers = _ir_numbers(content)
        if numbers is None:
            return [
                Found(
                    raw,
                    None,
                    problem=CitationProblem.MALFORMED,
                    message=f"{raw} is not a reference we can read: write [IR 5] or [IR 5, 6]",
                )
            ]
        return [Found(raw, CitationKind.IR, ir_number=n) for n in numbers]
    ref = LOOKS_LIKE_REF.match(content)
    if ref and ref.group(1).upper() != "IR" and _is_reference_typo(ref.group(1)):
        number = int(ref.group(2))
        return [
            Found(
                raw,
                None,
                problem=CitationProblem.MALFORMED,
                message=f"{raw} is not a known kind of reference: did you mean [IR {number}]?",
            )
        ]
    return []


def _is_reference_typo(letters: str) -> bool:
    """Two letters one key or one shape away from 'IR' (LR, 1R, IB, R ...) look like a typo."""
    letters = letters.upper()
    if len(letters) == 1:
        return letters in {"R", "I"}
    if len(letters) != 2:
        return False
    return letters[0] in "IL1|!" and letters[1] in "RBPT" or letters == "RI"


def spans(text: str) -> list[tuple[int, int, list[Found]]]:
    """Where citations stand in text: (start, end, what was found there), in order."""
    found: list[tuple[int, int, list[Found]]] = []
    masked = list(text)
    for match in BRACKETED.finditer(text):
        items = _bracketed(match.group(0), match.group(1))
        if items:
            found.append((match.start(), match.end(), items))
            masked[match.start() : match.end()] = " " * (match.end() - match.start())
    for match in BARE_IR.finditer("".join(masked)):
        number = int(match.group(1))
        found.append((match.start(), match.end(), [Found(match.group(0), CitationKind.IR, number)]))
    found.sort(key=lambda span: span[0])
    return found


def parse(text: str) -> list[Found]:
    """Every citation in text, in order of appearance."""
    return [f for _, _, items in spans(text) for f in items]


def _data_source(session: Session, name: str, cache: dict[str, DataSource]) -> DataSource:
    key = name.casefold()
    if key not in cache:
        existing = session.exec(select(DataSource).where(DataSource.name == name)).first()
        if existing is None:
            existing = DataSource(name=name)
            session.add(existing)
            session.flush()
        cache[key] = existing
    return cache[key]


def refresh_entry(session: Session, entry: Entry) -> list[Citation]:
    """Re-read an entry's text and replace its citations; return the problems found."""
    items = {i.number: i for i in session.exec(select(EvidenceItem))}
    return _refresh(session, entry, items, {})


def _refresh(
    session: Session, entry: Entry, items: dict[int, EvidenceItem], sources: dict[str, DataSource]
) -> list[Citation]:
    entry.citations.clear()
    session.flush()
    seen: set[tuple[str, str, str]] = set()
    for column in ENTRY_COLUMNS:
        for f in parse(getattr(entry, column)):
            key = (column, f.raw, str(f.ir_number or f.source or ""))
            if key in seen:
                continue
            seen.add(key)
            citation = Citation(  # type: ignore[call-arg]  # entry set below
                column=column,
                raw=f.raw[:200],
                kind=f.kind,
                problem=f.problem,
                message=f.message[:300],
            )
            if f.kind == CitationKind.IR and f.ir_number is not None:
                citation.ir_number = f.ir_number
                item = items.get(f.ir_number)
                if item is None:
                    citation.problem = CitationProblem.UNKNOWN_ITEM
                    citation.message = (
                        f"{f.raw} cites IR {f.ir_number}, which is not an evidence item"
                    )
                else:
                    citation.evidence_item = item
            elif f.kind == CitationKind.SOURCE and f.source:
                citation.data_source = _data_source(session, f.source[:200], sources)
            entry.citations.append(citation)
    session.flush()
    return entry.problems


def refresh_all(session: Session) -> int:
    """Re-check every entry (after IR items change); return the number of problems."""
    items = {i.number: i for i in session.exec(select(EvidenceItem))}
    sources: dict[str, DataSource] = {}
    entries = session.exec(select(Entry).options(selectinload(Entry.citations)))  # type: ignore[arg-type]
    return sum(len(_refresh(session, entry, items, sources)) for entry in entries)


def problems(session: Session) -> list[Citation]:
    """Every citation problem, in document order."""
    query = (
        select(Citation)
        .join(Entry)
        .join(QualityStatement)
        .where(col(Citation.problem).is_not(None))
        .options(selectinload(Citation.entry).selectinload(Entry.quality_statement))  # type: ignore[arg-type]
        .order_by(col(QualityStatement.position), col(Entry.position), col(Citation.id))
    )
    return list(session.exec(query))


def citing_entries(session: Session, item: EvidenceItem) -> list[Entry]:
    """Entries that cite an IR item, in document order."""
    citing = select(Citation.entry_id).where(Citation.evidence_item_id == item.id)
    query = (
        select(Entry)
        .join(QualityStatement, col(QualityStatement.id) == col(Entry.quality_statement_id))
        .where(col(Entry.id).in_(citing))
        .order_by(col(QualityStatement.position), col(Entry.position))
    )
    return list(session.exec(query))
