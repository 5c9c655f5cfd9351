"""A seeded generator of hostile inputs, and one way to run a case and judge it.

Used by tests/test_fuzz.py (a bounded corpus in the suite) and benchmarks/fuzz.py (thousands of
cases, by hand). Each case is a crash directory (the tiny dump of tests/test_hostile.py, plain
or gzip, copied and maybe broken) and a batch of command lines run on it through `q4 -f`, in a
scratch directory that holds the files the lines name (FIFOs, hard links into the dump, scripts
that exit, command files that include themselves, devices).

Categories: `index`, `image`, `gzip`, `vmunix` (mutations of those files), `special` (a dump
file replaced by a FIFO, a directory, a link out of the dump, an empty or huge sparse file),
`commands` (malformed command lines), `cycles` (list cycles and huge counts poked into memory),
`files` (redirection, include and run on hostile files), and with hang scenarios
(`make_bases(..., scenarios)`, `benchmarks/fuzz.py --scenario NAME`) `structures`: one of the
structures the thread analyses decode (a sleeping thread's stream head, socket, FIFO vnode, tty
or buf, the System V tables and their counts, kt_sema/kt_wchan/kt_procp/kt_uarea and the list
links of a thread, a free-list buf's links, the kmem arenas, the rpb, pst_ucomms/pst_cmds)
overwritten with garbage, a huge count, a pointer past the dump, to itself, or misaligned;
the other categories then break the hang dumps too (`gzip` and `cycles` keep the tiny dump).

A case's outcome is one of: `clean` (every problem was one line, the run ended), `Traceback`
(an exception escaped, or `internal error`), `hang` (over the time limit), `memory` (a
MemoryError, or the resident set grew past the limit), `file modified` (the crash directory
changed). Shell pipes and `!` escapes are never generated: they run /bin/sh by design.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import random
import resource
import shutil
import signal
import stat
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from q4py.forge import forge_crashdir

CATEGORIES = ("index", "image", "gzip", "vmunix", "special", "commands", "cycles", "files")
SCENARIO_CATEGORIES = (*CATEGORIES, "structures")  # with hang scenarios as bases
TINY_ONLY = ("gzip", "cycles")  # categories that break what only the tiny dump has
OUTCOMES = ("clean", "Traceback", "hang", "memory", "file modified")
TIME_LIMIT = 20.0  # seconds a case may take
MEMORY_LIMIT = 1 << 30  # bytes the resident set may grow by in one case

BUFS, BUF_SIZE, AV_FORW = 0xC00000, 0x80, 0x0C  # the tiny dump's buf list (narrow struct buf)
COMMANDS = (
    "crashinfo", "examine 0x1000 for 8 using X", "x panicstr", "p s panicstr",
    f"load struct buf from {BUFS:#x} next av_forw max 100", "print -x addrof av_forw",
    "p4_sysmap -a", "trace event 0", "symbol panic", "whatis 0x2000", "dis panic",
)
WORDS = (
    "help", "crashinfo", "examine", "x", "p", "load", "print", "keep", "forget", "trace",
    "p4_sysmap", "history", "recall", "name", "discard", "Let", "symbol", "whatis", "dis", "set",
    "struct", "buf", "proc", "from", "next", "max", "using", "for", "addrof", "av_forw",
    "panicstr", "sysmap_32bit", "main", "panic", "X", "s", "i", "-x", "-a", "-v", "event",
    "0", "-1", "1", "0x1000", "0xffffffffffffffff", "0x10000000000000000", "18446744073709551616",
    "0x7fffffffffffffff", "99999999999999999999999", "0x0.0x1000", "0x1234.0x7fff0000", "(",
    ")", "==", "!=", "<", "+", "-", "*", "/", "%", "<<", ">>", "&", "^", "~", "'", '"', "`",
    "\\", "#", ";", "$", "\t", "\x00", "\x1b[2J", "é", "…", "p_pid", "it", "-1.5",
    "1e308", "nan", "0x", "0b101", "--", "-", "=", "[", "]", "{", "}", "->", ".", ",",
)


@dataclass(frozen=True)
class Case:
    category: str
    number: int
    seed: int


@dataclass
class Outcome:
    case: Case
    outcome: str
    detail: str = ""


# -- the base dumps ----------------------------------------------------------------------------
def make_bases(workdir: Path, scenarios: tuple[str, ...] = ()) -> dict[str, Path]:
    """The tiny dump forged plain and gzip, once, under `workdir`; and each of `scenarios`
    (fixtures/scenarios/NAME.toml) as `scenario:NAME`, with the facts `structures` cases and
    their commands use beside it (FACTS_SUFFIX)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_hostile import TINY

    workdir.mkdir(parents=True, exist_ok=True)
    bases = {}
    for name, compress in (("plain", "false"), ("gzip", "true")):
        out = workdir / f"base-{name}"
        if not (out / "INDEX").exists():
            scenario = workdir / f"tiny-{name}.toml"
            scenario.write_text(f"{TINY}\n[dump]\ncompress = {compress}\nchunk_pages = 512\n")
            forge_crashdir(scenario, out)
        bases[name] = out
    for name in scenarios:
        out = workdir / f"base-{name}"
        if not (out / "INDEX").exists():
            forge_crashdir(SCENARIOS / f"{name}.toml", out)
            facts = _facts(out)
            Path(str(out) + FACTS_SUFFIX).write_text(json.dumps(facts))
        bases[f"scenario:{name}"] = out
    return bases


SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
FACTS_SUFFIX = ".facts.json"


def _facts(dump: Path) -> dict[str, object]:
    """What a `structures` case corrupts and its commands name, read from a clean base:
    `targets` [label, address, size] and a few sleeping threads (tid, pid, kthread, wchan)."""
    from q4py.errors import Q4Error
    from q4py.kernel.bufs import free_list_bufs
    from q4py.kernel.events import crash_events
    from q4py.kernel.threads import WaitChannelNamer, threads
    from q4py.layouts.proc import PST_CLEN, PST_UCOMMLEN
    from q4py.program import Program

    prog = Program.open(dump)
    word = 8 if prog.wide else 4
    types = prog.types
    targets: list[tuple[str, int, int]] = []
    for name in ("nkthread", "nproc", "semmni", "msgmni", "nbuf", "nkmem_arenas"):
        if prog.has_symbol(name):
            targets.append((name, prog.symbol(name).address, 4))
    for name in ("sema", "msgque", "pst_ucomms", "pst_cmds", "kmem_arenas", "kthread",
                 "kthread_list", "proc_list"):
        if prog.has_symbol(name):
            targets.append((name, prog.symbol(name).address, word))
    if prog.has_symbol("pst_cmds"):  # a command line without its NUL
        targets.append(("pst_cmds[1]", prog.read_global("pst_cmds") + PST_CLEN, PST_CLEN))
        targets.append(("pst_ucomms[1]", prog.read_global("pst_ucomms") + PST_UCOMMLEN,
                        PST_UCOMMLEN))
    if prog.has_symbol("sema") and prog.read_global("sema"):
        targets.append(("semid_ds[0]", prog.read_global("sema"),
                        types.get("struct semid_ds").size))
    if prog.has_symbol("kmem_arenas") and prog.read_global("kmem_arenas"):
        targets.append(("kmem_arena[0]", prog.read_global("kmem_arenas"),
                        types.get("struct kmem_arena").size))
    with contextlib.suppress(Q4Error):
        for event in crash_events(prog)[:2]:
            targets.append(("rpb", event.rpb, types.get("rpb_t").size))
    buf = types.get("struct buf")
    for queued in list(free_list_bufs(prog))[:4]:
        for member in ("av_forw", "av_back"):
            targets.append((f"buf.{member}", queued.address + buf.field(member).offset, word))
    kthread = types.get("struct kthread")
    namer = WaitChannelNamer(prog)
    sleepers: dict[str, tuple[int, int, int, int]] = {}
    objects = {"STREAM": "struct sth_s", "SOCKET": "struct socket", "FIFO": "struct vnode",
               "DEVICE": "struct tty", "LVM": "struct buf"}
    for thread in threads(prog):
        if not thread.wchan:
            continue
        kind = namer.name(thread).split(" ")[0].split("[")[0].split("(")[0]
        if kind in sleepers:
            continue
        sleepers[kind] = (thread.tid, thread.pid, thread.address, thread.wchan)
        if kind in objects:
            targets.append((kind, thread.wchan, types.get(objects[kind]).size))
        for member in ("kt_sema", "kt_wchan", "kt_procp", "kt_uarea", "kt_link",
                       "kt_global_kthread"):
            if kthread.has_field(member) and (member != "kt_sema" or thread.sema):
                targets.append((f"{kind}.{member}", thread.address +
                                kthread.field(member).offset, word))
    ram = max(prog.dumped_pfns(), default=0) * 0x1000
    return {"targets": targets, "threads": list(sleepers.values()), "wide": prog.wide,
            "past": ram + (1 << 24), "list": prog.has_symbol("proc_list")}


def generate(seed: int, count: int, categories: tuple[str, ...] = CATEGORIES) -> list[Case]:
    """`count` cases, the categories in turn (so every prefix covers them all)."""
    rng = random.Random(seed)
    return [Case(categories[i % len(categories)], i, rng.getrandbits(32)) for i in range(count)]


# -- building a case --------------------------------------------------------------------------
def _flip(rng: random.Random, data: bytes, count: int) -> bytes:
    out = bytearray(data)
    for _ in range(count):
        if not out:
            break
        i = rng.randrange(len(out))
        out[i] = rng.choice((0, 0xFF, out[i] ^ (1 << rng.randrange(8)), rng.randrange(256)))
    return bytes(out)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return _flip(rng, data, rng.randint(1, 8))
    if kind == 1:
        return data[: rng.randrange(len(data) + 1)]
    if kind == 2:
        return data + rng.randbytes(rng.randint(1, 4096))
    if kind == 3:
        head = rng.randrange(min(len(data), 0x200) + 1)
        return data[:head] + _flip(rng, data[head:head + 64], 4) + data[head + 64:]
    if kind == 4:  # a big number somewhere in the header
        at = rng.randrange(0, min(len(data), 0x40) + 1)
        return data[:at] + rng.choice((b"\xff" * 8, b"\x7f" + b"\xff" * 7, b"\0" * 8)) + \
            data[at + 8:]
    return _flip(rng, data, rng.randint(20, 200))


def _mutate_index(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(7)
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            lines.append("garbage")
        elif kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[i])
        elif kind == 2:
            words = lines[i].split()
            if words:
                j = rng.randrange(len(words))
                words[j] = rng.choice(("0", "-1", "0xffffffffffffffff", "99999999999999999999999",
                                       "3221225472", "0x40000000", "../INDEX", "/etc/passwd",
                                       "image.1.1", "x" * 300, ""))
            lines[i] = " ".join(words)
        elif kind == 3:
            lines[i] = _flip(rng, lines[i].encode(), 3).decode("latin-1")
        elif kind == 4:
            lines.append(rng.choice(("pagesize 1073741824", "pagesize 3", "memsize 0",
                                     "image image.1.1 0 4096 0 0 0", "version 99",
                                     "module /stand/vmunix vmunix 3221225472 0")))
        elif kind == 5:
            rng.shuffle(lines)
        else:
            lines = lines[: rng.randrange(len(lines) + 1)]
    return "\n".join(lines) + rng.choice(("\n", "", "\r\n", "\0"))


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file())


def _replace_special(rng: random.Random, target: Path) -> None:
    target.unlink()
    kind = rng.randrange(6)
    if kind == 0:
        os.mkfifo(target)
    elif kind == 1:
        target.mkdir()
    elif kind == 2:
        target.symlink_to(rng.choice(("/dev/zero", "/etc/hostname", "/nonexistent", "../..")))
    elif kind == 3:
        target.touch()
    elif kind == 4:
        with open(target, "wb") as f:
            f.truncate(rng.choice((1 << 31, 1 << 40)))  # sparse
    else:
        target.symlink_to(target.name)  # a loop


def _poke(dump: Path, pa: int, data: bytes) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from helpers import poke

    for image in dump.glob("image.*"):
        _own(image)
    while data:  # a page at a time
        count = min(len(data), 0x1000 - pa % 0x1000)
        with contextlib.suppress(AssertionError):  # a page the dump does not hold
            poke(dump, pa, data[:count])
        pa, data = pa + count, data[count:]


def _link_copy(base: Path, dump: Path) -> None:
    """A copy of a (big) base whose image files are hard links: `_own` a file before
    changing it."""
    dump.mkdir()
    for path in base.iterdir():
        if path.name.startswith("image."):
            os.link(path, dump / path.name)
        else:
            shutil.copy2(path, dump / path.name)


def _own(path: Path) -> None:
    """Make `path` a file of its own (not a hard link into a base) before writing to it."""
    if path.is_file() and path.stat().st_nlink > 1:
        copy = path.with_name(path.name + ".own")
        shutil.copyfile(path, copy)
        os.replace(copy, path)


def _corrupt_structures(rng: random.Random, dump: Path, facts: dict) -> None:
    """Overwrite one to three of the base's targets with something hostile."""
    word = 8 if facts["wide"] else 4
    targets = facts["targets"]
    for _ in range(rng.randint(1, 3)):
        label, address, size = rng.choice(targets)
        other = rng.choice(targets)[1]
        kind = rng.randrange(7)
        if kind == 0:
            data = rng.randbytes(size)
        elif kind == 1:
            data = b"\xff" * size
        elif kind == 2:  # a huge count or index
            data = rng.choice((0x7FFFFFFF, 0x80000000, 0xFFFF, 1 << 20)).to_bytes(4, "big")
        elif kind == 3:  # past the dump
            data = (facts["past"] + rng.randrange(0, 1 << 20, word)).to_bytes(word, "big")
        elif kind == 4:  # at itself: a cycle
            data = address.to_bytes(word, "big")
        elif kind == 5:  # at another target: a structure of the wrong kind
            data = other.to_bytes(word, "big")
        else:  # misaligned
            data = (other + rng.randint(1, word - 1)).to_bytes(word, "big")
        _poke(dump, address, data)


def _hang_commands(rng: random.Random, facts: dict, every: bool = False) -> list[str]:
    """The commands that decode today's structures, on the base's sleeping threads."""
    tid, pid, kthread, wchan = rng.choice(facts["threads"])
    load = ("load proc_t from proc_list max nproc next p_factp" if facts["list"]
            else "load struct proc from proc max nproc")
    pool = ["crashinfo", "stacks", "threads", "ps", f"trace -U tid {tid}", f"trace -v tid {tid}",
            f"trace -W pid {pid}", f"trace -U -T {kthread:#x}", f"whatis {wchan:#x}",
            f"whatis {kthread:#x}", f"{load}", 'keep p_comm == "x"', "trace -v processor 0",
            f"Kthread -t {tid}", "SystemInfo", "ProcInfo", "stacks -s sleep -c _sleep",
            f"threads -p {pid}", "crashinfo threads", "print p_comm p_cmds"]
    if every:
        return pool
    return [rng.choice(pool) for _ in range(rng.randint(2, 6))]


def _command_line(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(0, 9))]
    if words and rng.random() < 0.8:  # mostly a real command with bad arguments
        words[0] = rng.choice(WORDS[:20])
    line = " ".join(words) if rng.random() < 0.8 else "".join(words)
    if rng.random() < 0.15:
        line += rng.choice((" > out.txt", " >> out.txt", " > /dev/full", " > sub/", " >", " > fifo",
                            " > a > b", " > " + "a" * 300))
    if rng.random() < 0.05:
        line = line * rng.randint(2, 50)
    return line.replace("\n", " ").lstrip("!")  # no shell escapes


def _pipe_free(line: str) -> str:
    return line.replace(" | ", " ").replace(" |", " ")


def build(case: Case, bases: dict[str, Path], where: Path) -> tuple[Path, list[str]]:
    """Lay out the case under `where` (made empty): returns (crash dir, command lines)."""
    rng = random.Random(case.seed)
    scenarios = sorted(name for name in bases if name.startswith("scenario:"))
    dump = where / "crash.0"
    scratch = where / "cwd"
    category = case.category
    facts: dict | None = None
    if scenarios and category not in TINY_ONLY:
        base = bases[rng.choice(scenarios)]
        _link_copy(base, dump)
        facts = json.loads(Path(str(base) + FACTS_SUFFIX).read_text())
        commands = _hang_commands(rng, facts)
    else:
        base = bases["gzip" if category == "gzip" or rng.random() < 0.2 else "plain"]
        shutil.copytree(base, dump)
        commands = list(rng.sample(COMMANDS, rng.randint(2, 5)))
    scratch.mkdir()
    if category == "index":
        index = dump / "INDEX"
        _own(index)
        index.write_text(_mutate_index(rng, index.read_text()), encoding="latin-1")
    elif category in ("image", "gzip"):
        images = [p for p in _files(dump) if p.name.startswith("image.")]
        target = rng.choice(images)
        _own(target)
        if category == "gzip" and rng.random() < 0.3:
            raw = zlib.decompress(target.read_bytes(), 31)
            target.write_bytes(gzip.compress(_mutate(rng, raw), mtime=0))  # inflates wrongly
        elif category == "gzip" and rng.random() < 0.2:  # a bomb: declared data, and more
            raw = zlib.decompress(target.read_bytes(), 31)
            target.write_bytes(gzip.compress(raw + bytes(rng.choice((1, 64)) << 20), mtime=0))
        else:
            target.write_bytes(_mutate(rng, target.read_bytes()))
    elif category == "vmunix":
        target = next(p for p in _files(dump) if p.name.startswith("vmunix"))
        _own(target)
        data = target.read_bytes()
        if target.suffix == ".gz" and rng.random() < 0.5:
            target.write_bytes(gzip.compress(_mutate(rng, zlib.decompress(data, 31)), mtime=0))
        else:
            target.write_bytes(_mutate(rng, data))
    elif category == "special":
        _replace_special(rng, rng.choice(_files(dump)))
    elif category == "structures":
        assert facts is not None, "structures cases need a scenario base"
        _corrupt_structures(rng, dump, facts)
        commands = _hang_commands(rng, facts, every=True)
    elif category == "commands":
        commands = [_pipe_free(_command_line(rng)) for _ in range(rng.randint(3, 12))]
    elif category == "cycles":
        plain = bases["plain"]
        shutil.rmtree(dump)
        shutil.copytree(plain, dump)
        i, j = sorted(rng.sample(range(50), 2))
        _poke(dump, BUFS + j * BUF_SIZE + AV_FORW, (BUFS + i * BUF_SIZE).to_bytes(4, "big"))
        huge = rng.choice(("0x7fffffffffffffff", "18446744073709551615", "0x100000000", "1000000"))
        commands = [f"load struct buf from {BUFS:#x} next av_forw max {huge}",
                    f"load struct buf from {BUFS:#x} max {huge}",
                    f"examine {BUFS:#x} for {huge} using X",
                    f"examine {BUFS:#x} for {huge} using s", "print -x addrof av_forw",
                    "keep av_forw != 0", f"load struct buf from {BUFS:#x} next av_back max {huge}"]
        rng.shuffle(commands)
        commands = commands[: rng.randint(2, len(commands))]
    else:  # files
        commands = _file_commands(rng, dump, scratch)
    return dump, commands


def _file_commands(rng: random.Random, dump: Path, scratch: Path) -> list[str]:
    os.mkfifo(scratch / "fifo")
    (scratch / "sub").mkdir()
    os.link(dump / "INDEX", scratch / "hl")
    (scratch / "loop.q4").write_text("help exit\ninclude loop.q4\n")
    (scratch / "a.q4").write_text("include b.q4\n")
    (scratch / "b.q4").write_text("include a.q4\n")
    (dump / "evil.py").write_text("raise SystemExit(7)\n")
    os.link(dump / "evil.py", scratch / "hard.py")
    exits = ("import sys\ndef run(q4, args):\n    sys.exit(3)\n",
             "def run(q4, args):\n    raise SystemExit\n",
             "def run(q4, args):\n    raise KeyboardInterrupt\n",
             "def run(q4, args):\n    raise MemoryError\n",
             "def run(q4, args):\n    q4.print('x' * 100)\n", "garbage(((\n")
    (scratch / "quit.py").write_text(rng.choice(exits))
    with open(scratch / "sparse.q4", "wb") as f:
        f.truncate(1 << 31)
    (scratch / "binary.q4").write_bytes(rng.randbytes(512))
    pool = (
        "help > fifo", "include fifo", "help > hl", "help >> hl", "include hl", "run ./hard.py",
        "include /dev/zero", "include /dev/urandom", "include sparse.q4", "include binary.q4",
        "include loop.q4", "include a.q4", "run ./quit.py", "run quit.py", "help > /dev/full",
        "help > sub/", "help > sub", "help > " + "a" * 300, "help > " + "d/" * 3000 + "x",
        f"include {dump / 'INDEX'}", f"help > {dump / 'INDEX'}", f"run {dump / 'evil.py'}",
        "include /dev/null", "help > /dev/null", "include .", "run /dev/zero", "run fifo",
        "include nonexistent", "include /proc/self/mem", "include /proc/self/environ",
    )
    return [rng.choice(pool) for _ in range(rng.randint(3, 8))]


# -- running and judging -----------------------------------------------------------------------
def snapshot(directory: Path) -> dict[str, tuple[int, ...]]:
    """Names and stat signatures of everything in the crash directory (a write changes them)."""
    found: dict[str, tuple[int, ...]] = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            found[str(path.relative_to(directory))] = (st.st_mode, st.st_size, st.st_mtime_ns,
                                                       st.st_ino)
    return found


class _Timeout(BaseException):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def run_case(case: Case, bases: dict[str, Path], where: Path,
             time_limit: float = TIME_LIMIT) -> Outcome:
    """Build the case under `where`, run `q4 -f` on it in this process, and judge it."""
    from q4py import cli

    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    dump, commands = build(case, bases, where)
    cmds = where / "cmds.q4"
    cmds.write_text("\n".join(commands) + "\n", encoding="utf-8")
    before = snapshot(dump)
    out, err = io.StringIO(), io.StringIO()
    start_rss = _rss()
    cwd = os.getcwd()
    os.chdir(where / "cwd")
    result, detail = "clean", ""
    try:
        with _time_limit(time_limit), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            status = cli.main(["-f", str(cmds), str(dump)])
        text = out.getvalue() + err.getvalue()
        bad = [line for line in text.splitlines()
               if "internal error" in line or line.startswith("Traceback")]
        if any("MemoryError" in line for line in bad):
            result, detail = "memory", bad[0]
        elif bad:
            result, detail = "Traceback", bad[0]
        elif status not in (0, 1, 2):
            result, detail = "Traceback", f"exit status {status}"
    except _Timeout:
        result, detail = "hang", f"over {time_limit} s"
    except MemoryError:
        result, detail = "memory", "MemoryError escaped"
    except BaseException as exc:  # noqa: BLE001 - anything escaping is the finding
        result, detail = "Traceback", f"{type(exc).__name__}: {exc}"
    finally:
        os.chdir(cwd)
    if result == "clean" and _rss() - start_rss > MEMORY_LIMIT:
        result, detail = "memory", f"resident set grew by {(_rss() - start_rss) >> 20} MiB"
    if result == "clean" and snapshot(dump) != before:
        result, detail = "file modified", "the crash directory changed"
    _unblock_fifos(where)
    return Outcome(case, result, detail[:300])


def _unblock_fifos(where: Path) -> None:
    for path in where.rglob("*"):
        with contextlib.suppress(OSError):
            if stat.S_ISFIFO(path.lstat().st_mode):
                os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))


def tally(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    present = {o.case.category for o in outcomes}
    table = {c: dict.fromkeys(("cases", *OUTCOMES), 0) for c in SCENARIO_CATEGORIES
             if c in CATEGORIES or c in present}
    for o in outcomes:
        table[o.case.category]["cases"] += 1
        table[o.case.category][o.outcome] += 1
    return table


def format_table(table: dict[str, dict[str, int]]) -> str:
    columns = ("cases", *OUTCOMES)
    rows = [("category", *columns)]
    rows += [(c, *(str(v[k]) for k in columns)) for c, v in table.items()]
    totals = {k: sum(v[k] for v in table.values()) for k in columns}
    rows.append(("total", *(str(totals[k]) for k in columns)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    return "\n".join(lines)

