#!/usr/bin/env python3
"""Golden framing traces from CPython's own asynchat (Python <= 3.11).

Each case feeds a byte stream, cut into reads, to the real
``asynchat.async_chat.handle_read`` (``recv`` is replaced by a list of chunks)
and records every callback. ``found_terminator`` switches to the next
terminator of the case's schedule, so terminator changes on bytes already
read are covered. The C++ tests replay the same reads through
``asynchat::framer`` and require the identical trace.

Regenerate (one command, from the repository root):

    python3 tests/golden/make_framing_golden.py > tests/golden/framing.golden

Output format, one block per case (all bytes in lowercase hex):

    case <id> <comment>
    schedule <t> [<t> ...]   t = n (None) | c:<count> | s:<hex> (s: alone = b"")
    reads <hex> [<hex> ...]
    trace <event> ...        C:<hex> = collect_incoming_data, F = found_terminator,
                             R = end of one handle_read
    final <t> <leftover hex, or - if empty>
"""

import random
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asynchat

if sys.version_info >= (3, 12):
    sys.exit("asynchat was removed in Python 3.12: run this with Python 3.11 or older")


class Replay(asynchat.async_chat):
    """An async_chat whose recv() returns prepared chunks."""

    ac_in_buffer_size = 1 << 20

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule
        self.found = 0
        self.chunk = b""
        self.events = []
        self.set_terminator(schedule[0])

    def recv(self, buffer_size):
        assert 0 < len(self.chunk) <= buffer_size
        return self.chunk

    def collect_incoming_data(self, data):
        self.events.append("C:" + bytes(data).hex())

    def found_terminator(self):
        self.found += 1
        self.events.append("F")
        self.set_terminator(self.schedule[self.found % len(self.schedule)])


def encode_terminator(t):
    if t is None:
        return "n"
    if isinstance(t, int):
        return "c:%d" % t
    return "s:" + t.hex()


def run_case(schedule, reads):
    ch = Replay(schedule)
    for chunk in reads:
        ch.chunk = chunk
        ch.handle_read()
        ch.events.append("R")
    return ch.events, ch.get_terminator(), ch.ac_in_buffer


def emit(out, case_id, comment, schedule, reads):
    events, final_terminator, leftover = run_case(schedule, reads)
    out.append("case %d %s" % (case_id, comment))
    out.append("schedule " + " ".join(encode_terminator(t) for t in schedule))
    out.append("reads " + " ".join(r.hex() for r in reads))
    out.append("trace " + " ".join(events))
    out.append("final %s %s" % (encode_terminator(final_terminator), leftover.hex() or "-"))


def cut(stream, sizes):
    """Cuts `stream` into reads whose sizes cycle through `sizes`."""
    reads, i, k = [], 0, 0
    while i < len(stream):
        n = sizes[k % len(sizes)]
        reads.append(stream[i:i + n])
        i += n
        k += 1
    return reads


def cut_randomly(rng, stream):
    style = rng.randrange(4)
    if style == 0:
        return [stream]
    if style == 1:
        return cut(stream, [1])
    if style == 2:
        return cut(stream, [rng.randint(1, 8)])
    reads, i = [], 0
    while i < len(stream):
        n = rng.randint(1, max(1, len(stream) // 3))
        reads.append(stream[i:i + n])
        i += n
    return reads


STRING_TERMINATORS = [
    b"\n", b"\r\n", b"qqq", b"aab", b"abab", b"\r\n.\r\n", b"\r\n\r\n",
    b"\x00", b"\x00\xff", b"aaaaaaaaab", b"a", b"ab" * 6,
]
COUNT_TERMINATORS = [0, 1, 2, 3, 5, 7, 16, 40]
ALPHABET = b"ab\r\n.q\x00\xff"


def random_terminator(rng):
    roll = rng.random()
    if roll < 0.62:
        return rng.choice(STRING_TERMINATORS)
    if roll < 0.92:
        return rng.choice(COUNT_TERMINATORS)
    if roll < 0.97:
        return None
    return b""


def random_stream(rng, schedule, length):
    """Random bytes from a small alphabet, sprinkled with the case's terminators."""
    strings = [t for t in schedule if isinstance(t, bytes) and t]
    out = bytearray()
    while len(out) < length:
        if strings and rng.random() < 0.18:
            t = rng.choice(strings)
            # Sometimes only a prefix: near-misses exercise the partial-match path.
            out += t if rng.random() < 0.75 else t[:rng.randint(1, len(t))]
        else:
            out.append(rng.choice(ALPHABET))
    return bytes(out[:length])


def handmade_cases():
    """Edge cases named in the project's reliability catalogue."""
    yield "switch-string-count", [b"\r\n", 3], [b"H\r\nxyzH2\r\nuvw"]
    yield "switch-string-count-1byte", [b"\r\n", 3], cut(b"H\r\nxyzH2\r\nuvw", [1])
    yield "partial-crlf", [b"\r\n"], [b"abc\r", b"\ndef\r", b"\n"]
    yield "terminator-at-start", [b"\r\n"], [b"\r\n\r\nabc\r\n"]
    yield "empty-lines", [b"\n"], [b"hello world\n\nI'm not dead yet!\n"]
    yield "overlap-aab", [b"aab"], [b"aaab", b"aab", b"aaaab"]
    yield "overlap-aab-1byte", [b"aab"], cut(b"aaabaabaaaab", [1])
    yield "overlap-abab", [b"abab"], cut(b"ababab" * 3, [1, 2])
    yield "overlap-crlfcrlf", [b"\r\n\r\n"], cut(b"x\r\n\r\r\n\r\ny\r\n\r\n", [1, 3])
    yield "smtp-data", [b"\r\n.\r\n"], cut(b"line1\r\n.line2\r\n\r\n.\r\nQUIT\r\n.\r\n", [2, 5])
    yield "prefix-repeat", [b"\r\n\r\n"], cut(b"\r" * 300 + b"\r\n\r\n", [7])
    yield "count-exact", [6], [b"hello world, I'm not dead yet!\n"]
    yield "count-1", [1], [b"hello"]
    yield "count-spans-reads", [10, b"\r\n"], cut(b"0123456789tail\r\nnext\r\n", [3])
    yield "count-zero-is-none", [0], [b"abc", b"def"]
    yield "empty-string-is-none", [b""], [b"abc", b"\r\n"]
    yield "none", [None], [b"hello world, I'm not dead yet!\n"]
    yield "count-then-zero", [4], [b"abcdefgh"]
    yield "long-terminator-small-reads", [b"0123456789"], cut(b"xx01234567yy0123456789zz", [4])
    yield "binary-nul", [b"\x00"], [b"a\x00b\x00\x00c"]
    yield "binary-nul-ff", [b"\x00\xff"], cut(b"\x00\x00\xff\xff\x00\xffz", [1])
    yield "http-post", [b"\r\n\r\n", 5, b"\r\n\r\n"], cut(
        b"POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.0\r\n\r\n", [9])
    yield "switch-to-none", [b"\r\n", None], [b"a\r\nb\r\nc\r\n"]
    yield "many-records-one-read", [b"\n"], [b"x\n" * 500]


def main():
    rng = random.Random(20261123)
    out = ["# Generated by tests/golden/make_framing_golden.py with CPython %s; do not edit."
           % sys.version.split()[0]]
    case_id = 0
    for comment, schedule, reads in handmade_cases():
        case_id += 1
        emit(out, case_id, comment, schedule, reads)
    for _ in range(1500):
        case_id += 1
        schedule = [random_terminator(rng) for _ in range(rng.randint(1, 4))]
        stream = random_stream(rng, schedule, rng.randint(1, 160))
        emit(out, case_id, "random", schedule, cut_randomly(rng, stream))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
