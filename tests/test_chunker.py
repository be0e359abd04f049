"""The sentence chunker: what the user hears, piece by piece, and when."""

from __future__ import annotations

import random
import re

import pytest

from voice_rp.chunker import ChunkPolicy, Piece, SentenceChunker, speakable
from voice_rp.clock import FakeClock


def _run(deltas: list[str], policy: ChunkPolicy | None = None) -> list[Piece]:
    chunker = SentenceChunker(policy or ChunkPolicy(), clock=FakeClock())
    pieces: list[Piece] = []
    for delta in deltas:
        pieces += chunker.push(delta)
    return pieces + chunker.flush()


def _words(text: str) -> list[str]:
    """Split like an LLM's tokens: each word with the whitespace before it."""
    return re.findall(r"\s*\S+|\s+$", text)


def _speak(text: str, policy: ChunkPolicy | None = None) -> list[str]:
    """The piece texts for `text`, checked to be the same whole, char by char and word by word."""
    whole = _run([text], policy)
    assert _run(list(text), policy) == whole
    assert _run(_words(text), policy) == whole
    assert [p.index for p in whole] == list(range(len(whole)))
    return [p.text for p in whole]


# --- rules -------------------------------------------------------------------------------------


def test_first_piece_is_released_at_the_first_clause_with_enough_words() -> None:
    chunker = SentenceChunker(clock=FakeClock())
    assert chunker.push("Well,") == []
    assert chunker.push(" I think") == []  # "Well," alone is too short to stand on its own
    assert chunker.push(" that is right,") == []  # the comma may still be "1,000"
    assert chunker.push(" but") == [Piece(0, "Well, I think that is right,", "clause")]
    # After the first piece, whole sentences: the next comma does not release anything.
    assert chunker.push(" we should check. Next, we") == [
        Piece(1, "but we should check.", "sentence")
    ]
    assert chunker.push(" go.") == []
    assert chunker.flush() == [Piece(2, "Next, we go.", "flush")]


def test_first_piece_at_a_short_sentence_end_even_below_the_word_minimum() -> None:
    assert _speak("Hi! Well, I can help with that today.") == [
        "Hi!",
        "Well, I can help with that today.",
    ]


def test_a_long_first_sentence_is_cut_before_a_linking_word() -> None:
    assert _speak(
        "It's great that you're being transparent with your team about the challenges."
    ) == ["It's great that you're being transparent", "with your team about the challenges."]
    # Never after a word that would dangle: "example of" | "how" is not a cut.
    assert _speak(
        "That's a great example of how sometimes a simple talk can change things."
    ) == ["That's a great example", "of how sometimes a simple talk can change things."]


def test_only_the_first_piece_is_kept_short_and_only_when_it_must_be() -> None:
    assert _speak("I'm glad to hear that you enjoyed it.") == [
        "I'm glad to hear that you enjoyed it."  # eight words: whole
    ]
    assert _speak("Sure. It's great that you're being transparent with your team about it.") == [
        "Sure.", "It's great that you're being transparent with your team about it.",
    ]
    no_link = "Absolutely everyone here really loves working remotely these days honestly."
    assert _speak(no_link) == [no_link]
    chunker = SentenceChunker(ChunkPolicy(first_max_words=8), clock=FakeClock())
    pieces = chunker.push("It's great that you're being transparent with your")
    assert pieces == []  # eight words so far: it may still end as one short sentence
    assert chunker.push(" team") == [Piece(0, "It's great that you're being transparent",
                                           "linking")]


def test_dash_and_semicolon_are_clause_boundaries_but_hyphens_and_ranges_are_not() -> None:
    assert _speak("The well-known 1990–2000 era — it was good.") == [
        "The well-known 1990–2000 era —",
        "it was good.",
    ]
    assert _speak("We tried this one; it failed.") == ["We tried this one;", "it failed."]
    assert _speak("We tried this one - it failed.") == ["We tried this one -", "it failed."]


def test_timeout_releases_the_first_piece_at_the_last_whole_word() -> None:
    clock = FakeClock()
    chunker = SentenceChunker(ChunkPolicy(first_max_wait_s=0.6), clock=clock)
    assert chunker.push("I really do not know what") == []
    clock.advance(0.5)
    assert chunker.poll() == []
    clock.advance(0.1)
    # "what" may still grow into "whatever": only whole words go out.
    assert chunker.poll() == [Piece(0, "I really do not know", "timeout")]
    clock.advance(5.0)
    assert chunker.poll() == []  # the timeout is for the first piece only
    assert chunker.push("ever you mean. Sorry.") == [Piece(1, "whatever you mean.", "sentence")]
    assert chunker.flush() == [Piece(2, "Sorry.", "flush")]


def test_timeout_counts_from_the_first_token_and_needs_enough_words() -> None:
    clock = FakeClock()
    chunker = SentenceChunker(ChunkPolicy(first_max_wait_s=0.6), clock=clock)
    clock.advance(10.0)  # a slow LLM start is not the chunker's wait
    assert chunker.push("Hmm well") == []
    clock.advance(1.0)
    assert chunker.poll() == []  # two words are too few to speak alone
    assert chunker.push(" maybe ") == [Piece(0, "Hmm well maybe", "timeout")]


def test_long_sentence_is_cut_at_its_last_clause_while_it_streams() -> None:
    chunker = SentenceChunker(ChunkPolicy(max_words=8), clock=FakeClock())
    assert chunker.push("Okay. This sentence has far too many words, so it") == [
        Piece(0, "Okay.", "sentence"),
        Piece(1, "This sentence has far too many words,", "long"),
    ]
    assert chunker.push(" must be cut somewhere sensible today. ") == []
    assert chunker.flush() == [Piece(2, "so it must be cut somewhere sensible today.", "flush")]


def test_long_sentence_without_a_clause_is_cut_at_a_word() -> None:
    text = "Okay. One two three four five six seven eight nine ten."
    assert _speak(text, ChunkPolicy(max_words=8)) == [
        "Okay.",
        "One two three four five six seven eight",
        "nine ten.",
    ]


def test_text_without_words_or_line_breaks_is_not_held_forever() -> None:
    # A model that loops on a symbol must not grow the unreleased text without bound.
    chunker = SentenceChunker(clock=FakeClock())
    assert chunker.push("Okay. So ") == [Piece(0, "Okay.", "sentence")]
    pieces = [p for _ in range(400) for p in chunker.push("=-")]
    assert pieces == [Piece(1, "So", "long")]
    assert chunker.push(" fine.") == []
    assert chunker.flush() == [Piece(2, "fine.", "flush")]


def test_low_audio_releases_clauses_plenty_of_audio_waits_for_the_sentence() -> None:
    text = "Okay. Then we talk, and then we listen. Done."
    for queued, expected in [
        (0.5, ["Okay.", "Then we talk,", "and then we listen.", "Done."]),
        (5.0, ["Okay.", "Then we talk, and then we listen.", "Done."]),
    ]:
        chunker = SentenceChunker(ChunkPolicy(low_audio_s=1.5), clock=FakeClock())
        pieces = [p for d in _words(text) for p in chunker.push(d, queued_audio_s=queued)]
        assert [p.text for p in pieces + chunker.flush()] == expected


def test_low_audio_clause_can_be_released_by_poll() -> None:
    chunker = SentenceChunker(ChunkPolicy(low_audio_s=1.5), clock=FakeClock())
    assert chunker.push("Okay. Then we talk, and", queued_audio_s=4.0) == [
        Piece(0, "Okay.", "sentence")
    ]
    assert chunker.poll(queued_audio_s=2.0) == []
    assert chunker.poll(queued_audio_s=1.0) == [Piece(1, "Then we talk,", "clause")]


def test_flush_releases_the_tail_and_starts_the_next_reply() -> None:
    chunker = SentenceChunker(clock=FakeClock())
    assert chunker.push("Thanks for asking. See you") == [
        Piece(0, "Thanks for asking.", "sentence")
    ]
    assert chunker.flush() == [Piece(1, "See you", "flush")]
    assert chunker.flush() == []
    # The next reply counts from 0 again and gets its quick first clause.
    assert chunker.push("Sure thing, my friend, ") == [Piece(0, "Sure thing, my friend,", "clause")]


def test_flush_of_nothing_speakable_releases_nothing() -> None:
    chunker = SentenceChunker(clock=FakeClock())
    # "**" may open a bold sentence, so "Done." goes out; the bold never comes.
    assert chunker.push("Done. **") == [Piece(0, "Done.", "sentence")]
    assert chunker.push(" 🎉 ") == []
    assert chunker.flush() == []
    assert _run(["...", " ", "😀"]) == []


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        ChunkPolicy(first_min_words=0)
    with pytest.raises(ValueError):
        ChunkPolicy(first_min_words=5, max_words=4)
    with pytest.raises(ValueError):
        ChunkPolicy(first_min_words=5, first_max_words=4)
    with pytest.raises(ValueError):
        ChunkPolicy(low_audio_s=-1)


# --- traps -------------------------------------------------------------------------------------


def test_title_split_across_deltas_is_not_a_sentence_end() -> None:
    chunker = SentenceChunker(clock=FakeClock())
    for delta in ["I met Dr", ".", " Smith", " today", "."]:
        assert chunker.push(delta) == []
    assert chunker.push(" He") == [Piece(0, "I met Dr. Smith today.", "sentence")]
    assert chunker.push(" left.") == []
    assert chunker.flush() == [Piece(1, "He left.", "flush")]


def test_titles_never_end_a_sentence() -> None:
    text = "Mr. Lee met Mrs. Park. Ms. Cho and Prof. Kim went to St. Louis. Bye."
    assert _speak(text) == [
        "Mr. Lee met Mrs. Park.",
        "Ms. Cho and Prof. Kim went to St. Louis.",
        "Bye.",
    ]


def test_latin_abbreviations() -> None:
    text = "Bring snacks e.g. Chips and fruit. It is fun i.e. A party. Cats vs. Dogs is old."
    assert _speak(text) == [
        "Bring snacks e.g. Chips and fruit.",
        "It is fun i.e. A party.",
        "Cats vs. Dogs is old.",
    ]


def test_etc_ends_a_sentence_only_before_a_capital() -> None:
    text = "Hi there. We bought pens, paper, etc. Then we left. We need pens etc. and tape."
    assert _speak(text) == [
        "Hi there.",
        "We bought pens, paper, etc.",
        "Then we left.",
        "We need pens etc. and tape.",
    ]


def test_dotted_acronyms_do_not_split() -> None:
    assert _speak("I live near a U.S. Army base. The U.K. Government agreed.") == [
        "I live near a U.S. Army base.",
        "The U.K. Government agreed.",
    ]


def test_am_pm_end_a_sentence_before_a_capital() -> None:
    assert _speak("We open at 9 a.m. Come early. We close at 5 p.m. sharp.") == [
        "We open at 9 a.m.",
        "Come early.",
        "We close at 5 p.m. sharp.",
    ]


def test_postnominal_abbreviations_follow_the_next_word() -> None:
    assert _speak(
        "Ask Sam Jr. about it. He works for Acme Inc. in Ohio. Call Acme Inc. Today."
    ) == [
        "Ask Sam Jr. about it.",
        "He works for Acme Inc. in Ohio.",
        "Call Acme Inc.",
        "Today.",
    ]


def test_number_abbreviation_before_a_digit() -> None:
    assert _speak("He wore No. 5 at school. I said no. Then he left.") == [
        "He wore No. 5 at school.",
        "I said no.",
        "Then he left.",
    ]


def test_numbers_and_decimals_do_not_split_or_make_clauses() -> None:
    # "We had 1," would be a three-word first clause if the thousands comma counted.
    assert _speak("We had 1,000,000 visitors in 3.14 days. Wow.") == [
        "We had 1,000,000 visitors in 3.14 days.",
        "Wow.",
    ]


def test_currency() -> None:
    assert _speak("It costs $3.50 or €20 today. Rent is £1.2m. Sales hit $3. Nice.") == [
        "It costs $3.50 or €20 today.",
        "Rent is £1.2m.",
        "Sales hit $3.",
        "Nice.",
    ]


def test_year_at_a_sentence_end_splits() -> None:
    assert _speak("I was born in 1980. Then we moved.") == ["I was born in 1980.", "Then we moved."]


def test_ellipsis_before_a_capital_ends_a_sentence_and_is_never_spoken_alone() -> None:
    assert _speak("Well... I think so. I was… um… tired. ... Anyway it works.") == [
        "Well...",
        "I think so.",
        "I was… um… tired.",
        "Anyway it works.",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = 'He said "Stop." Then he left. (It was late.) She said “Go.” "Really?!" she asked.'
    assert _speak(text) == [
        'He said "Stop."',
        "Then he left.",
        "(It was late.)",
        "She said “Go.”",
        '"Really?!" she asked.',
    ]


def test_markdown_list_items_become_pieces_without_markers() -> None:
    text = "Here are the tips:\n1. First tip.\n2. Second tip\n\n- Apples\n* Pears\n• Plums"
    assert _speak(text) == [
        "Here are the tips:",
        "First tip.",
        "Second tip",
        "Apples",
        "Pears",
        "Plums",
    ]


def test_newlines_are_boundaries() -> None:
    assert _run(["Hello there\nHow are you\n"]) == [
        Piece(0, "Hello there", "sentence"),
        Piece(1, "How are you", "sentence"),
    ]


def test_markdown_and_emoji_are_never_spoken() -> None:
    text = "## Plan\n**Great** job 😀! Let's _try_ the `next` one 🎉. [Read more](https://x.io/a)."
    assert _speak(text) == ["Plan", "Great job!", "Let's try the next one.", "Read more."]


def test_urls_and_emails_do_not_split() -> None:
    text = (
        "Visit example.com or mail me@example.org today. "
        "See https://voice-rp.example.com/docs. Bye."
    )
    assert _speak(text) == [
        "Visit example.com or mail me@example.org today.",
        "See voice-rp.example.com/docs.",
        "Bye.",
    ]


def test_single_initials_do_not_split() -> None:
    assert _speak("J. R. R. Tolkien wrote it. I loved it.") == [
        "J. R. R. Tolkien wrote it.",
        "I loved it.",
    ]


def test_multiple_punctuation_is_one_sentence_end() -> None:
    assert _speak("Really?! Yes. No!!! Why?") == ["Really?!", "Yes.", "No!!!", "Why?"]


def test_pieces_do_not_depend_on_how_the_text_was_split() -> None:
    text = (
        "Sure, I can help with that! Dr. Smith, born in 1980. Moved to the U.S. Army base in "
        'St. Louis at 9 a.m. He paid $3.50, i.e. 3.5 dollars, for 1,000,000 "tokens." Then...'
        " I think so… maybe. J. R. R. Tolkien wrote No. 5 at example.com (really?!) okay.\n"
        "1. **First** point 😀\n2. Second point. Mr. Lee said “Go.” And that was it"
    )
    whole = _run([text])
    assert [p.text for p in whole] == [
        "Sure, I can help with that!",
        "Dr. Smith, born in 1980.",
        "Moved to the U.S. Army base in St. Louis at 9 a.m.",
        'He paid $3.50, i.e. 3.5 dollars, for 1,000,000 "tokens."',
        "Then...",
        "I think so… maybe.",
        "J. R. R. Tolkien wrote No. 5 at example.com (really?!) okay.",
        "First point",
        "Second point.",
        "Mr. Lee said “Go.”",
        "And that was it",
    ]
    assert _run(list(text)) == whole
    assert _run(_words(text)) == whole
    rng = random.Random(20240611)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, len(text) // 3)))
        deltas = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        assert _run(deltas) == whole, deltas


# --- speakable ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [
        (
            "**bold** and __strong__ and _it_ and *em* and `code` and ~~old~~",
            "bold and strong and it and em and code and old",
        ),
        ("# Heading", "Heading"),
        ("### Step two", "Step two"),
        ("> quoted words", "quoted words"),
        ("[the docs](https://example.com/docs) say so", "the docs say so"),
        ("![a cat](cat.png)", "a cat"),
        ("<https://example.com>", "example.com"),
        ("| Name | Age |", "Name, Age"),
        ("|---|:---:|", ""),
        ("1. First", "First"),
        ("10) Tenth", "Tenth"),
        ("- dash item", "dash item"),
        ("* star item", "star item"),
        ("• bullet item", "bullet item"),
        ("Great job 👍🏽!", "Great job!"),
        ("I ❤️ flags 🇺🇸 and family 👨‍👩‍👧 → yes", "I flags and family yes"),
        ("  Hello \n\n  world  ", "Hello world"),
        (
            "snake_case stays, -5 stays, 20°C stays, $3.50 stays",
            "snake_case stays, -5 stays, 20°C stays, $3.50 stays",
        ),
        ("```python", ""),
        ("---", ""),
        ("...", ""),
        ("tired. ... ok", "tired. ok"),
        (", and so on", "and so on"),
        ("😀 🎉", ""),
        ("**", ""),
        ("=-=-=-=- ok ~~~~~ + & =", "ok + & ="),
    ],
)
def test_speakable(raw: str, spoken: str) -> None:
    assert speakable(raw) == spoken
