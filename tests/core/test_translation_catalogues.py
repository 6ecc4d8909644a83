"""The translation catalogues agree with each other and with what a reader sees.

Each app keeps its own catalogue (``<app>/locale``, the project's ``locale/``), but at run time
Django merges them: for one msgid it takes the first catalogue that has it (``LOCALE_PATHS``,
then ``INSTALLED_APPS`` in order, third-party apps included). A short word such as "Gas" or
"Open" that two apps translate differently is therefore shown with the *other* app's meaning in
one of them. A word whose meaning depends on where it is used needs a context
(``pgettext_lazy("parking plan", "Monthly")``, ``{% translate "Open" context "gate" %}``).
"""

from __future__ import annotations

import ast
import gettext as gettext_module
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)


@dataclass(frozen=True)
class Entry:
    context: str | None
    msgid: str
    plural: str | None
    msgstrs: tuple[str, ...]
    fuzzy: bool
    line: int


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (obsolete ``#~`` entries and the header left out)."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    current: str | None = None
    start = 0

    def flush():
        nonlocal fields, flags, current
        if fields.get("msgid"):
            strs = tuple(v for k, v in sorted(fields.items()) if k.startswith("msgstr"))
            entries.append(
                Entry(
                    context=fields.get("msgctxt"),
                    msgid=fields["msgid"],
                    plural=fields.get("msgid_plural"),
                    msgstrs=strs,
                    fuzzy="fuzzy" in flags,
                    line=start,
                )
            )
        fields, flags, current = {}, set(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if fields:
                flush()
            flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if fields:
                flush()
            continue
        if line.startswith('"'):
            fields[current] += _unquote(line)
            continue
        keyword, _space, value = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and "msgid" in fields:
            flush()
        if not fields:
            start = number
        current = keyword
        fields[keyword] = _unquote(value)
    flush()
    return entries


def tracked_catalogues() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.po"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed]


@pytest.fixture(scope="module")
def catalogues() -> dict[Path, list[Entry]]:
    paths = tracked_catalogues()
    assert paths, "no tracked .po catalogue found"
    return {path: parse_po(path) for path in paths}


def _translated(entry: Entry) -> bool:
    return not entry.fuzzy and all(entry.msgstrs)


def test_the_parser_reads_contexts_plurals_and_continued_lines(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py:1\nmsgctxt "gate"\nmsgid "Open"\nmsgstr "开闸"\n\n'
        '#, fuzzy\nmsgid "Closed"\nmsgstr "关闭"\n\n'
        'msgid "%(n)d day"\nmsgid_plural "%(n)d days"\nmsgstr[0] "%(n)d 天"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr "长"\n"文"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "无"\n',
        encoding="utf-8",
    )
    entries = {(e.context, e.msgid): e for e in parse_po(po)}
    assert set(entries) == {("gate", "Open"), (None, "Closed"), (None, "%(n)d day"), (None, "Long text")}
    assert entries[("gate", "Open")].msgstrs == ("开闸",)
    assert entries[(None, "Closed")].fuzzy
    assert entries[(None, "%(n)d day")].plural == "%(n)d days"
    assert entries[(None, "Long text")].msgstrs == ("长文",)


def test_no_msgid_without_context_has_two_translations_across_catalogues(catalogues):
    """One msgid (no context) translated two ways in two catalogues: one app shows the other's."""
    seen: dict[str, dict[tuple[str, ...], list[str]]] = defaultdict(lambda: defaultdict(list))
    for path, entries in catalogues.items():
        for entry in entries:
            if entry.context is None and _translated(entry):
                seen[entry.msgid][entry.msgstrs].append(f"{path.relative_to(ROOT)}:{entry.line}")
    collisions = {
        msgid: {"/".join(strs): where for strs, where in translations.items()}
        for msgid, translations in seen.items()
        if len(translations) > 1
    }
    assert not collisions, (
        "These msgids are translated differently in different catalogues; give each use a "
        "context (pgettext_lazy / {% translate ... context ... %}):\n"
        + "\n".join(f"  {msgid!r}: {where}" for msgid, where in sorted(collisions.items()))
    )


def test_each_compiled_catalogue_matches_its_po(catalogues):
    """The .mo that Django loads says what the .po says (msgfmt was run after the last edit)."""
    stale = []
    for path, entries in catalogues.items():
        mo = path.with_suffix(".mo")
        assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run msgfmt -o django.mo django.po"
        with mo.open("rb") as handle:
            compiled = gettext_module.GNUTranslations(handle)._catalog
        for entry in entries:
            if not _translated(entry) or entry.plural:
                continue
            key = f"{entry.context}\x04{entry.msgid}" if entry.context is not None else entry.msgid
            if compiled.get(key) != entry.msgstrs[0]:
                stale.append(f"{path.relative_to(ROOT)}:{entry.line} {entry.msgid!r}")
    assert not stale, "compiled catalogue out of date (run msgfmt):\n  " + "\n  ".join(stale[:20])


def test_the_reader_sees_each_catalogues_own_translation(catalogues):
    """What a catalogue says is what Django shows: no earlier catalogue (another app's, or a
    third-party app's listed before ours in INSTALLED_APPS) answers the msgid instead."""
    wrong = []
    with translation.override("zh-hans"):
        for path, entries in catalogues.items():
            for entry in entries:
                if not _translated(entry) or entry.plural:
                    continue
                if entry.context is None:
                    shown = translation.gettext(entry.msgid)
                else:
                    shown = translation.pgettext(entry.context, entry.msgid)
                if shown != entry.msgstrs[0]:
                    wrong.append(
                        f"{path.relative_to(ROOT)}:{entry.line} {entry.msgid!r}: "
                        f"catalogue {entry.msgstrs[0]!r}, shown {shown!r}"
                    )
    assert not wrong, "another catalogue wins for:\n  " + "\n  ".join(wrong)


def test_every_live_message_has_a_chinese_translation(catalogues):
    """A fuzzy or empty entry is skipped by msgfmt, so the reader sees English: zh-hans is the
    default language, and makemessages marks a reworded msgid fuzzy with the old text's guess."""
    missing = [
        f"{path.relative_to(ROOT)}:{entry.line} {entry.msgid!r}{' (fuzzy)' if entry.fuzzy else ''}"
        for path, entries in catalogues.items()
        for entry in entries
        if not _translated(entry)
    ]
    assert not missing, "untranslated messages:\n  " + "\n  ".join(missing)
