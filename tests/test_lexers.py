"""The pygments lexers: tokens rejoin to the input, no error tokens, and a few exact goldens.

The sample lines include every command form the research notes mark verified (the 11i release
notes' `load`s, the dpf-scsi report's `load`/`print -x`, `run PrintMap sysmap`, the p4 forms)
and the shell's own extensions (redirection, expressions, strings).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexer import Lexer
from pygments.token import (
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    Token,
    Whitespace,
)

from q4py.shell.lexers import Q4Lexer, Q4TranscriptLexer

REPO_ROOT = Path(__file__).resolve().parent.parent

COMMAND_LINES = [
    # q4, verified or documented forms
    "load proc_t from proc_list max nproc next p_factp",
    "load proc_t from proc_list max nproc next p_global_proc",
    "load kthread_t from kthread_list max nkthread next kt_global_kthread",
    "load struct buf from 0x0`4076da18 next av_forw max 10",
    "load struct utsname from &utsname",
    "print -x addrof av_forw av_back b_dev b_flags",
    "print utsname.release utsname.nodename",
    "examine &nproc using D",
    "examine panicstr using s",
    "ex &panicstr using s",
    "trace event 0",
    "trace",
    "run PrintMap sysmap",
    "run Analyze AU > ana.out",
    "run WhatHappened -HANG > what.out",
    # p4, verified forms
    "trace -v processor 0",
    "trace -v tid 11512",
    "trace -W pid 5538",
    "trace -U tid 312772",
    "trace -U -T 0x00000000_515a8040",
    "trace processor 0",
    "p struct rw_lock 0x56c14ec8",
    "p struct pathname 0x51e8.0x7fff0b40",
    "Lock_t 0x06bd5bc0",
    "p s 0x05b58000",
    "p4_print i8 0x40000006384ef220",
    'x "0xe0000006384ef200+32"',
    "Let -b 0xa",
    "grep r41 bbds_trim_size.s",
    "Kthread -t 312772",
    "pview -V",
    "SystemInfo",
    "ProcInfo 5",
    "p4_sysmap -a",
    "p crash_event_t 0x22000",
    "p struct save_state 0.0x804920",
    # the rest of the language
    "keep p_stat != 0",
    "forget (b_flags & 0x10) == 0 || b_dev >= 3",
    "keep p_pid > 1 && !(p_flag & 0x4)",
    "print -t",
    "print -d b_vp.v_count indexof spaceof physaddrof",
    "print -o b_flags >> /tmp/flags.txt",
    "examine 0x1000 for 8 using X",
    "examine &proc+0x10 for 4 using i",
    "load struct buf from 0x1000 max 4 skip 1 until av_forw == 0",
    "history",
    "recall 2",
    "recall bufs",
    "name it bufs",
    "discard",
    "include ~/cmds.q4",
    "fields struct buf",
    "whatis proc_t",
    "symbol panic",
    "symbol 0x35d1b4",
    "help load",
    "x 'single quoted'",
    'x "escaped \\" quote"',
    'x "unclosed',
    "load proc_t from 010 max 0777",
    "   leading blanks",
    "# a comment line",
    "",
    "?? @@ \\ ` ~",
    "keep a<<2 ^ b>>1 % 3 / 4 * 5 - 6 + 7 ~ 8 <= 9",
    "exit",
    "quit",
]


def tokens(lexer: Lexer, text: str) -> list[tuple[object, str]]:
    return list(lexer.get_tokens(text))


def assert_clean(lexer: Lexer, text: str) -> None:
    toks = tokens(lexer, text)
    assert "".join(v for _, v in toks) == text
    bad = [(t, v) for t, v in toks if t in Token.Error]
    assert not bad, bad


@pytest.fixture
def q4() -> Q4Lexer:
    return Q4Lexer(ensurenl=False, stripnl=False)


@pytest.fixture
def q4t() -> Q4TranscriptLexer:
    return Q4TranscriptLexer(ensurenl=False, stripnl=False)


@pytest.mark.parametrize("line", COMMAND_LINES)
def test_command_lines_rejoin_without_errors(q4: Q4Lexer, line: str) -> None:
    assert_clean(q4, line)
    assert_clean(q4, line + "\n")


def test_a_command_file_rejoins(q4: Q4Lexer) -> None:
    assert_clean(q4, "\n".join(COMMAND_LINES) + "\n")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_any_text_lexes_cleanly(text: str) -> None:
    # The raw lexer, under get_tokens' newline and BOM normalisation: every character of any
    # input lands in exactly one token, and none is an error.
    for lexer in (Q4Lexer(), Q4TranscriptLexer()):
        toks = list(lexer.get_tokens_unprocessed(text))
        assert "".join(v for _, _, v in toks) == text
        assert all(t not in Token.Error for _, t, _ in toks)


def significant(lexer: Lexer, text: str) -> list[tuple[object, str]]:
    return [(t, v) for t, v in tokens(lexer, text) if t not in Whitespace]


def test_golden_load(q4: Q4Lexer) -> None:
    assert significant(q4, "load struct buf from 0x0`4076da18 next av_forw max 10") == [
        (Name.Builtin, "load"),
        (Keyword.Type, "struct"),
        (Name.Class, "buf"),
        (Keyword, "from"),
        (Number.Hex, "0x0`4076da18"),
        (Keyword, "next"),
        (Name, "av_forw"),
        (Keyword, "max"),
        (Number.Integer, "10"),
    ]


def test_golden_print_and_examine(q4: Q4Lexer) -> None:
    assert significant(q4, "print -x addrof b_vp.v_count") == [
        (Name.Builtin, "print"),
        (Name.Attribute, "-x"),
        (Name.Builtin.Pseudo, "addrof"),
        (Name, "b_vp.v_count"),
    ]
    assert significant(q4, "examine &nproc for 2 using D") == [
        (Name.Builtin, "examine"),
        (Operator, "&"),
        (Name.Variable, "nproc"),
        (Keyword, "for"),
        (Number.Integer, "2"),
        (Keyword, "using"),
        (Name.Constant, "D"),
    ]


def test_golden_numbers(q4: Q4Lexer) -> None:
    assert significant(q4, "p struct pathname 0x51e8.0x7fff0b40 010 0x00000000_515a8040") == [
        (Name.Builtin, "p"),
        (Keyword.Type, "struct"),
        (Name.Class, "pathname"),
        (Number.Hex, "0x51e8.0x7fff0b40"),
        (Number.Oct, "010"),
        (Number.Hex, "0x00000000_515a8040"),
    ]


def test_golden_redirection_and_comparison(q4: Q4Lexer) -> None:
    assert significant(q4, "run PrintMap sysmap >> map.out") == [
        (Name.Builtin, "run"),
        (Name, "PrintMap"),
        (Name, "sysmap"),
        (Operator, ">>"),
        (String.Other, "map.out"),
    ]
    assert significant(q4, "keep p_stat > 0 && a&b") == [
        (Name.Builtin, "keep"),
        (Name, "p_stat"),
        (Operator, ">"),
        (Number.Integer, "0"),
        (Operator, "&&"),
        (Name, "a"),
        (Operator, "&"),  # bitwise and, not an address-of
        (Name, "b"),
    ]


def test_golden_strings_and_comment(q4: Q4Lexer) -> None:
    assert significant(q4, 'x "1+2"') == [
        (Name.Builtin, "x"),
        (String.Double, '"'),
        (String.Double, "1+2"),
        (String.Double, '"'),
    ]
    assert tokens(q4, "# note") == [(Comment.Single, "# note")]


TRANSCRIPT = """\
# scenario: hpux1100-32-kalloc-sysmap
# a plain comment

q4> load struct buf from 0x0`4076da18 next av_forw max 10
loaded 2 struct bufs as a linked list{BLANK}

(stopped by bad read at 0x0.0x18191a1b'1c1d1e1f)

q4> print -x addrof av_forw
...
# an output line, not a header
q4: unknown command 'x'
p4>p4_sysmap -a
p4> x "0xe0000006384ef200+32"
0xe0000006384ef220
q4>
""".replace("{BLANK}", " ")  # the verified message ends in a blank


def test_transcript_rejoins_without_errors(q4t: Q4TranscriptLexer) -> None:
    assert_clean(q4t, TRANSCRIPT)
    assert_clean(q4t, TRANSCRIPT.rstrip("\n"))


def test_transcript_golden(q4t: Q4TranscriptLexer) -> None:
    toks = [(t, v) for t, v in tokens(q4t, TRANSCRIPT) if t not in Whitespace]
    assert toks[:8] == [
        (Comment, "#"),
        (Name.Attribute, "scenario"),
        (Token.Punctuation, ":"),
        (Comment.Preproc, " hpux1100-32-kalloc-sysmap"),
        (Comment.Single, "# a plain comment\n"),
        (Generic.Prompt, "q4> "),
        (Name.Builtin, "load"),
        (Keyword.Type, "struct"),
    ]
    assert (Generic.Output, "loaded 2 struct bufs as a linked list \n") in toks
    assert (Keyword.Pseudo, "...") in toks
    assert (Generic.Output, "# an output line, not a header\n") in toks
    assert (Generic.Error, "q4: unknown command 'x'\n") in toks
    assert (Generic.Prompt, "p4>") in toks and (Name.Builtin, "p4_sysmap") in toks
    assert (Generic.Prompt, "p4> ") in toks
    assert (String.Double, "0xe0000006384ef200+32") in toks
    assert (Generic.Output, "0xe0000006384ef220\n") in toks
    assert toks[-1] == (Generic.Prompt, "q4>")


def test_text_before_the_first_command_is_flagged(q4t: Q4TranscriptLexer) -> None:
    toks = tokens(q4t, "forgot the prompt\nq4> help\n")
    assert toks[0] == (Generic.Error, "forgot the prompt\n")
    assert Token.Error not in {t for t, _ in toks}


def test_the_fixture_transcripts_lex_cleanly(q4t: Q4TranscriptLexer) -> None:
    paths = sorted((REPO_ROOT / "fixtures" / "transcripts").glob("*.q4t"))
    assert paths
    for path in paths:
        assert_clean(q4t, path.read_text())


def test_lexers_have_names_for_pygments() -> None:
    assert "q4" in Q4Lexer.aliases and "*.q4t" in Q4TranscriptLexer.filenames
    assert Q4TranscriptLexer.aliases[0] == "q4transcript"
