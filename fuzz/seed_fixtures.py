#!/usr/bin/env python3
"""Seeds of the `git_notes` and `atomic` fuzz targets, copied from vcs-adapter's tests (git-ai's
notes, Atomic's JSON and credit text as the real tools print them). The other seeds come from
`cargo run --example seeds`. Run from fuzz/: `python3 seed_fixtures.py`."""
import codecs
import os
import re

CORPUS = "corpus"


def put(target, name, data):
    os.makedirs(f"{CORPUS}/{target}", exist_ok=True)
    with open(f"{CORPUS}/{target}/seed-{name}", "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def raw_const(src, name):
    return re.search(r"const " + name + r': &str = r#"(.*?)"#;', src, re.S).group(1)


def plain(s):
    """A Rust string literal's body (only \\n, \\" and \\\\ escapes occur in these tests)."""
    return s.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


notes = open("../vcs-adapter/src/git_notes.rs").read()
for name in ["ROUNDTRIP", "SPACES"]:
    body = re.search(r"const " + name + r': &str = "((?:[^"\\]|\\.)*)";', notes).group(1)
    put("git_notes", name.lower(), plain(body))
for name in ["SESSIONS", "LEGACY"]:
    put("git_notes", name.lower(), raw_const(notes, name))

# The atomic target's first byte picks the reader: 0 log JSON, 1 one change's JSON, 2 credit
# text, 3 hash lines.
atomic = open("../vcs-adapter/src/atomic.rs").read()
put("atomic", "log", b"\x00" + raw_const(atomic, "LOG").encode())
for i, body in enumerate(re.findall(r'let (?:text|guess) = "((?:[^"\\]|\\.)*)";', atomic)):
    text = plain(body).encode()
    put("atomic", f"text-{i}", (b"\x01" if b"{" in text else b"\x02") + text)
hashes = re.findall(r'const (?:ROOT|BASE|TWO|ONE): &str = "([A-Z0-9]+)";', atomic)
put("atomic", "hash-lines", b"\x03" + "\n".join(hashes).encode() + b"\n")
