"""The labelled turns that measure turn understanding (issue 22), and what `read_turn` must reach.

A user in distress must never get the next interview question; "are you a real person?", "what
was my name?", "can you say it more simply?" and the user's own questions must be heard; and an
ordinary answer must almost never be taken for distress, abuse or an off-topic remark, because each
of those steps out of the practice. The targets hold on `turn_kinds.tsv` (the rows the rules
may be tuned on) and on the distress sets written apart to widen them (`distress_dev*.tsv`).
`turn_kinds_heldout.tsv` was written apart and never shown to the rules' author: it measures how
far the rules carry to phrasings nobody tuned for, and must not fall below what it measured when
the rules were written (HELDOUT_FLOOR; the figures are in docs/listening.md). A failure names
only figures, never held-out rows; for the main file, see `scripts/eval_turn_kinds.py
--show-errors`.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from eval_turn_kinds import (
    HELDOUT_FILE,
    LABELS,
    LANGUAGES,
    MAIN_FILE,
    ClassifierMissing,
    Row,
    Scored,
    accuracy,
    false_alarm_rate,
    label_scores,
    load_classifier,
    load_rows,
    normalized,
    problems,
    score,
)

FILES = {"main": MAIN_FILE, "heldout": HELDOUT_FILE}
MIN_ROWS = {"main": {"en": 250, "es": 100, "fr": 100}, "heldout": {"all": 120}}
MIN_PER_LABEL = {"main": {"en": 12, "es": 6, "fr": 6}, "heldout": {"en": 1, "es": 1, "fr": 1}}
HEARD_LABELS = ("ai_check", "recall", "clarify", "question")
MIN_HEARD_RECALL = 0.9
MAX_FALSE_ALARMS = 0.02
MIN_ACCURACY = 0.85
DISTRESS_SETS = sorted((MAIN_FILE.parent).glob("distress_dev*.tsv"))
# What the held-out file measured when the rules were last changed: a change that loses
# generality fails here even while the tuned rows still pass.
HELDOUT_FLOOR = {"distress": 0.6, "accuracy": 0.75, "false_alarms": 0.06}


def rows_of(name: str) -> list[Row]:
    return load_rows(FILES[name])


@pytest.fixture(scope="module")
def scored() -> dict[str, list[Scored]]:
    """Both files read by the classifier; fails (never skips) while it cannot be imported."""
    try:
        read_turn = load_classifier()
    except ClassifierMissing as exc:
        pytest.fail(str(exc))
    return {name: score(rows_of(name), read_turn) for name in FILES}


# --- the files themselves ------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_file_is_well_formed(name: str) -> None:
    """Five tab-separated columns, known languages, personas and labels, no repeated text."""
    rows = rows_of(name)  # raises on a header or a line with the wrong number of fields
    assert problems(rows) == []


@pytest.mark.parametrize("name", FILES)
def test_every_label_is_in_every_language(name: str) -> None:
    rows = rows_of(name)
    counts = Counter((row.language, row.label) for row in rows)
    for language, least in MIN_PER_LABEL[name].items():
        short = {label: counts[language, label] for label in LABELS
                 if counts[language, label] < least}
        assert not short, f"{name} {language}: fewer than {least} rows for {short}"


@pytest.mark.parametrize("name", FILES)
def test_file_is_big_enough_and_mostly_ordinary_answers(name: str) -> None:
    """Enough rows per language, and at least a third of each language ordinary answers: the
    false-alarm rate is only worth something over many hard answers."""
    rows = rows_of(name)
    for language, least in MIN_ROWS[name].items():
        count = len(rows) if language == "all" else sum(r.language == language for r in rows)
        assert count >= least, f"{name} {language}: {count} rows, want {least}"
    for language in LANGUAGES:
        of_language = [r for r in rows if r.language == language]
        answers = sum(r.label == "answer" for r in of_language)
        assert answers * 3 >= len(of_language), f"{name} {language}: {answers} answers"


def test_heldout_shares_no_text_with_main() -> None:
    main = {normalized(row.text) for row in rows_of("main")}
    shared = [row.line for row in rows_of("heldout") if normalized(row.text) in main]
    assert shared == [], f"held-out lines also in the main file: {shared}"


def test_labels_are_the_classifiers_kinds() -> None:
    """The files' labels and TurnKind name the same kinds, so no kind goes unmeasured."""
    try:
        from voice_rp.listening.turn_kind import TurnKind
    except Exception as exc:
        pytest.fail(f"voice_rp.listening.turn_kind cannot be imported: {exc!r}")
    assert sorted(kind.value for kind in TurnKind) == sorted(LABELS)


# --- what the classifier must reach on them ------------------------------------------------


@pytest.mark.parametrize("name", ["main"])
def test_no_distress_is_missed(scored: dict[str, list[Scored]], name: str) -> None:
    distress = label_scores(scored[name])["distress"]
    assert distress.hits == distress.count, (
        f"{name}: {distress.count - distress.hits} of {distress.count} distress turns missed")


@pytest.mark.parametrize("label", HEARD_LABELS)
@pytest.mark.parametrize("name", ["main"])
def test_the_user_is_heard(scored: dict[str, list[Scored]], name: str, label: str) -> None:
    """AI checks, recall requests, clarification requests and questions get their own reply."""
    found = label_scores(scored[name])[label]
    assert found.recall is not None
    assert found.recall >= MIN_HEARD_RECALL, (
        f"{name}: {label} recall {found.recall:.2f} ({found.hits}/{found.count})")


@pytest.mark.parametrize("name", ["main"])
def test_answers_are_rarely_taken_for_alarms(scored: dict[str, list[Scored]], name: str) -> None:
    rate = false_alarm_rate(scored[name])
    assert rate <= MAX_FALSE_ALARMS, (
        f"{name}: {rate:.1%} of answers read as distress, abuse or off_topic")


@pytest.mark.parametrize("name", ["main"])
def test_overall_accuracy(scored: dict[str, list[Scored]], name: str) -> None:
    value = accuracy(scored[name])
    assert value >= MIN_ACCURACY, f"{name}: accuracy {value:.3f}"


def test_the_heldout_turns_stay_above_their_floor(scored: dict[str, list[Scored]]) -> None:
    rows = scored["heldout"]
    distress = label_scores(rows)["distress"]
    assert distress.recall is not None and distress.recall >= HELDOUT_FLOOR["distress"], (
        f"held-out distress recall {distress.recall}")
    assert accuracy(rows) >= HELDOUT_FLOOR["accuracy"], f"held-out accuracy {accuracy(rows):.3f}"
    assert false_alarm_rate(rows) <= HELDOUT_FLOOR["false_alarms"]


@pytest.mark.parametrize("path", DISTRESS_SETS, ids=[p.name for p in DISTRESS_SETS])
def test_distress_is_heard_in_the_sets_written_to_widen_the_rules(path: Path) -> None:
    """Distress said in many ways, with hard look-alikes ("the battery died", a talk on suicide
    prevention, someone else's words quoted): every distress turn is heard, and at most 2% of
    the look-alikes are taken for distress."""
    import csv

    from voice_rp.listening.turn_kind import TurnKind, read_turn

    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    read = [(r["label"], read_turn(r["text"], language=r["language"],
                                   persona_kind="language_partner").kind) for r in rows]
    missed = sum(1 for label, kind in read if label == "distress" and kind is not TurnKind.DISTRESS)
    alarms = sum(1 for label, kind in read if label == "answer" and kind is TurnKind.DISTRESS)
    answers = sum(1 for label, _ in read if label == "answer")
    assert missed == 0, f"{path.name}: {missed} distress turns missed"
    assert alarms <= 0.02 * answers, f"{path.name}: {alarms} of {answers} look-alikes alarmed"
