from tests import factories
from tracker.models import CitationKind, CitationProblem
from tracker.services import citations, evidence
from tracker.services.citations import parse


def kinds(text):
    return [(f.kind, f.ir_number, f.source, f.problem) for f in parse(text)]


def test_bracketed_ir_citation():
    assert kinds("Waiting lists fell [IR 28].") == [(CitationKind.IR, 28, None, None)]


def test_caret_footnote_form():
    assert kinds("Training is mandatory ^[IR 36]") == [(CitationKind.IR, 36, None, None)]


def test_bare_references_in_a_sentence():
    assert kinds("IR 5 and IR 6 contain the lists") == [
        (CitationKind.IR, 5, None, None),
        (CitationKind.IR, 6, None, None),
    ]


def test_reference_without_space_and_leading_zero():
    assert [f.ir_number for f in parse("see IR28 and [IR 05]")] == [28, 5]


def test_source_citation():
    assert kinds("[Source: LAS Contacts Activity]") == [
        (CitationKind.SOURCE, None, "LAS Contacts Activity", None)
    ]


def test_several_sources_in_one_bracket():
    assert [f.source for f in parse("[Sources: SALT; Carers survey]")] == ["SALT", "Carers survey"]


def test_lists_and_ranges_inside_brackets():
    assert [f.ir_number for f in parse("[IR 5, 6 and 7]")] == [5, 6, 7]
    assert [f.ir_number for f in parse("[IR 3-5]")] == [3, 4, 5]
    assert [f.ir_number for f in parse("[IR 5; IR 6]")] == [5, 6]


def test_typo_prefix_is_malformed_with_a_suggestion():
    (found,) = parse("as reported [LR 33]")
    assert found.problem == CitationProblem.MALFORMED
    assert "did you mean [IR 33]" in found.message


def test_malformed_forms():
    for text in ("[IR]", "[IR 5a]", "[Source LAS]", "[Source: ]", "[IR 9-3]"):
        (found,) = parse(text)
        assert found.problem == CitationProblem.MALFORMED, text


def test_ordinary_brackets_and_words_are_not_citations():
    assert parse("[sic] in [2024], see [note 3]; THEIR 5 cats; MIRROR 3") == []


def test_order_of_appearance():
    assert [f.raw for f in parse("IR 2 then [IR 1] then [Source: X]")] == [
        "IR 2",
        "[IR 1]",
        "[Source: X]",
    ]


def test_unknown_item_flagged_and_known_item_linked(session):
    item = factories.item(session, 5)
    entry = factories.entry(session, how_we_know="See [IR 5] and [IR 41] and [LR 33].")
    problems = {c.raw: c.problem for c in entry.problems}
    assert problems == {
        "[IR 41]": CitationProblem.UNKNOWN_ITEM,
        "[LR 33]": CitationProblem.MALFORMED,
    }
    linked = [c for c in entry.citations if c.problem is None]
    assert [c.evidence_item_id for c in linked] == [item.id]


def test_adding_the_missing_item_clears_the_problem(session):
    entry = factories.entry(session, how_we_know="See [IR 41].")
    assert len(entry.problems) == 1
    factories.item(session, 41)
    session.refresh(entry)
    assert entry.problems == []
    assert citations.problems(session) == []


def test_deleting_an_item_flags_entries_that_cite_it(session):
    item = factories.item(session, 7)
    entry = factories.entry(session, what_we_know="IR 7 shows it.")
    user = factories.user(session)
    evidence.delete_item(session, item, user)
    session.refresh(entry)
    assert [c.problem for c in entry.problems] == [CitationProblem.UNKNOWN_ITEM]


def test_sources_are_shared_rows(session):
    a = factories.entry(session, title="A", how_we_know="[Source: SALT]")
    b = factories.entry(session, title="B", how_we_know="[Source: SALT]")
    assert a.citations[0].data_source_id == b.citations[0].data_source_id is not None


def test_citing_entries_lists_each_entry_once(session):
    item = factories.item(session, 5)
    entry = factories.entry(session, what_we_know="IR 5", how_we_know="[IR 5] and IR5")
    assert [e.id for e in citations.citing_entries(session, item)] == [entry.id]
