"""Pygments lexers for q4's command language and for q4 transcripts.

`Q4Lexer` highlights command lines (the REPL's input, command files, `include` files);
`Q4TranscriptLexer` highlights `.q4t` transcripts (docs/transcripts.md), running `Q4Lexer` over
each command. Both are registered as pygments plugins (`pygmentize -l q4`, `-l q4transcript`)
through the `pygments.lexers` entry points in pyproject.toml, so docs and editors can use them.

Highlighting is lexical only: it never needs a dump, and every character gets a token (the
last rule of each state takes anything), so no input ever yields an error token.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, default, using, words
from pygments.token import (
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

__all__ = ["KEYWORDS", "PSEUDO_FIELDS", "Q4Lexer", "Q4TranscriptLexer"]

# Clause words of load / examine / trace, and the `struct` of a type name.
KEYWORDS = ("from", "max", "next", "skip", "until", "using", "for", "event", "processor", "pile")
PSEUDO_FIELDS = ("addrof", "indexof", "spaceof", "physaddrof", "it")

_IDENT = r"[A-Za-z_$][\w$]*"
_HEX = r"0[xX][0-9a-fA-F_]+(?:`[0-9a-fA-F_]+)?"  # 0x1f, 0x0`4076da18, 0x00000000_515a8040
_SPACE = r"(?:0[xX][0-9a-fA-F]+|\d+)"  # the space of `space.offset`: 0x51e8 or 0


class Q4Lexer(RegexLexer):
    """One q4/p4 command per line: `load struct buf from 0x0`4076da18 next av_forw max 10`."""

    name = "q4"
    aliases = ["q4", "p4"]
    filenames = ["*.q4"]
    url = "https://github.com/q4py/q4py"
    version_added = ""

    tokens = {
        # The first word of a line is the command; the rest of the line its arguments.
        "root": [
            (r"\n", Whitespace),
            (r"[ \t\r\f\v]+", Whitespace),
            (r"#.*?$", Comment.Single),  # the session ignores a line starting with `#`
            (rf"{_IDENT}(?=[^\w$]|$)", Name.Builtin, "args"),
            default("args"),
        ],
        "args": [
            (r"\n", Whitespace, "#pop"),
            (r"[ \t\r\f\v]+", Whitespace),
            (r"(?<![\w$])-[A-Za-z]+\b", Name.Attribute),  # a flag: -x, -a, -v
            # Redirection `> FILE` / `>> FILE` at the end of the line; a number after `>` is
            # a comparison (`keep p_stat > 0`), so the target must not start like one.
            (r"(>>?)([ \t]*)([^\s\d(&\-!~\"'][^\s]*)([ \t]*)$",
             bygroups(Operator, Whitespace, String.Other, Whitespace)),
            (rf"(struct|union)(\s+)({_IDENT})", bygroups(Keyword.Type, Whitespace, Name.Class)),
            (r"(using)(\s+)(\w+)", bygroups(Keyword, Whitespace, Name.Constant)),
            (words(KEYWORDS, prefix=r"(?<![\w$.])", suffix=r"(?![\w$])"), Keyword),
            (words(PSEUDO_FIELDS, prefix=r"(?<![\w$.])", suffix=r"(?![\w$])"),
             Name.Builtin.Pseudo),
            # Numbers: `space.offset` first, then 64-bit backtick hex, octal, decimal.
            (rf"{_SPACE}\.{_HEX}", Number.Hex),
            (_HEX, Number.Hex),
            (r"0[0-7]+(?![\w$])", Number.Oct),
            (r"\d+", Number.Integer),
            (r'"', String.Double, "dqstring"),
            (r"'", String.Single, "sqstring"),
            (r"(?<![\w$)\]])(&)(" + _IDENT + r")", bygroups(Operator, Name.Variable)),
            (r"<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>=]", Operator),
            (r"[()\[\],;:]", Punctuation),
            (rf"{_IDENT}(?:\.{_IDENT})*", Name),  # a field (b_dev, p_vas.va_ll) or symbol
            (r".", Text),  # anything else is plain text, never an error token
        ],
        "dqstring": [
            (r'\\.', String.Escape),
            (r'"', String.Double, "#pop"),
            (r"\n", String.Double, "#pop:2"),  # an unclosed quote ends with its line
            (r'[^"\\\n]+', String.Double),
            (r"\\", String.Double),
        ],
        "sqstring": [
            (r"'", String.Single, "#pop"),
            (r"\n", String.Single, "#pop:2"),
            (r"[^'\n]+", String.Single),
        ],
    }


class Q4TranscriptLexer(RegexLexer):
    """A `.q4t` transcript: `#` header, `q4> ` / `p4>` command lines, `...`, expected output."""

    name = "q4 transcript"
    aliases = ["q4transcript", "q4t"]
    filenames = ["*.q4t"]
    url = "https://github.com/q4py/q4py"
    version_added = ""

    _prompt = (r"^(q4> |p4> |p4>)(.*?)(\n|$)",
               bygroups(Generic.Prompt, using(Q4Lexer), Whitespace))
    _bare_prompt = (r"^(q4>)([ \t]*)(\n|$)", bygroups(Generic.Prompt, Whitespace, Whitespace))

    tokens = {
        # Before the first command: header comments (`# scenario: NAME`) and blank lines.
        "root": [
            _bare_prompt,
            (_prompt[0], _prompt[1], "body"),
            (r"^(#)([ \t]*)([A-Za-z][\w-]*)([ \t]*)(:)(.*?)(\n|$)",
             bygroups(Comment, Whitespace, Name.Attribute, Whitespace, Punctuation,
                      Comment.Preproc, Whitespace)),
            (r"#[^\n]*\n?", Comment.Single),
            (r"[ \t]*\n", Whitespace),
            (r"[^\n]+\n?", Generic.Error),  # replay rejects text before the first command
        ],
        # After it: commands, wildcard lines, and the output they expect.
        "body": [
            _bare_prompt,
            _prompt,
            (r"^(\.\.\.)([ \t]*)(\n|$)", bygroups(Keyword.Pseudo, Whitespace, Whitespace)),
            (r"q4: [^\n]*\n?", Generic.Error),  # an error the command is expected to print
            (r"[^\n]*\n|[^\n]+", Generic.Output),  # never empty: RegexLexer would spin
        ],
    }
