"""Event dates: the DATE expression nearest the trigger, parsed with dateparser.

Absolute dates ("January 2018", "October 7, 2023") are parsed alone; relative ones ("on Tuesday",
"a day earlier", "last week") only against the document's publication date, else kept as text.
dateparser is slow, so only DATE entities are parsed and results are cached per (text, base).
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta

from spacy.tokens import Doc, Span, Token

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# a DATE entity must say when: "days" or "the years" alone do not
DATE_CUE = re.compile(r"\d|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|"
                      r"yesterday|today|tonight|last|earlier|ago|previous|next|this|recent|weekend)", re.I)
VAGUE = re.compile(r"\b(years?|decades?|months|recent|past|weeks|days|hours|time|period)\b", re.I)


class DateResolver:
    def __init__(self) -> None:
        self._cache: dict[tuple[str, str | None], str | None] = {}
        self._doc: Doc | None = None
        self._dates: list[Span] = []

    def for_trigger(self, trigger: Token, sent: Span, base: str | None) -> tuple[str | None, str | None]:
        doc = trigger.doc
        if self._doc is not doc:  # DATE entities of the document, listed once (Span.ents is slow)
            self._doc = doc
            self._dates = [e for e in doc.ents if e.label_ == "DATE" and DATE_CUE.search(e.text)]
        dates = [e for e in self._dates if sent.start <= e.start < sent.end]
        if not dates:
            return None, None
        subtree = {t.i for t in trigger.subtree}
        inside = [e for e in dates if e.root.i in subtree or e.root.head.i == trigger.i]
        pick = min(inside or dates, key=lambda e: abs(e.start - trigger.i))
        text = pick.text
        return self.resolve(text, base), text

    def resolve(self, text: str, base: str | None) -> str | None:
        key = (text, base)
        if key not in self._cache:
            self._cache[key] = self._parse(text, base)
        return self._cache[key]

    @staticmethod
    def _parse(text: str, base: str | None) -> str | None:
        clean = re.sub(r"^(on|in|since|by|during|the)\s+", "", text.strip(), flags=re.I)
        years = YEAR.findall(clean)
        if years and re.fullmatch(r"(early |late |mid-?)?(1[89]\d\d|20\d\d)", clean, re.I):
            return years[0]
        has_month = any(m in clean.lower() for m in MONTHS)
        has_day = bool(re.search(r"\b\d{1,2}(st|nd|rd|th)?\b", YEAR.sub("", clean)))
        if not years and base is None:
            return None  # relative and nothing to resolve it against
        if VAGUE.search(clean) and not has_month:
            return None
        quick = _common_form(clean, base)
        if quick is not None:
            return quick
        import dateparser  # imported lazily: loading its language data is slow

        settings: dict[str, object] = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
        if base:
            try:
                settings["RELATIVE_BASE"] = datetime.fromisoformat(base[:19])
            except ValueError:
                return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = dateparser.parse(clean, languages=["en"], settings=settings)  # type: ignore[arg-type]
        if parsed is None:
            return None
        if years and has_month and not has_day:
            return parsed.strftime("%Y-%m")
        return parsed.strftime("%Y-%m-%d")


WEEKDAY = re.compile(r"(?:last\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", re.I)
MONTH_DAY = re.compile(r"(?P<m>[a-z]+)\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?", re.I)
MONTH_YEAR = re.compile(r"(?P<m>[a-z]+),?\s+(?P<y>\d{4})", re.I)
DAY_MONTH = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<m>[a-z]+)(?:,?\s+(?P<y>\d{4}))?", re.I)


def _common_form(clean: str, base: str | None) -> str | None:
    """The forms news text uses most ('Monday', 'yesterday', 'March 3', 'October 2024'), resolved as dateparser
    resolves them (past preferred: a weekday is the last one before the publication day), without its cost
    (tens of milliseconds a call). None: leave it to dateparser."""
    try:
        day = datetime.fromisoformat(base[:19]).date() if base else None
    except ValueError:
        return None
    low = clean.lower()
    if day is not None and low in ("today", "yesterday", "last week"):
        return (day - timedelta(days={"today": 0, "yesterday": 1, "last week": 7}[low])).isoformat()
    m = MONTH_YEAR.fullmatch(clean)
    if m and m.group("m").lower() in MONTHS:
        return f"{m.group('y')}-{MONTHS.index(m.group('m').lower()) + 1:02d}"
    m = WEEKDAY.fullmatch(clean)
    if m and day is not None:
        back = (day.weekday() - WEEKDAYS.index(m.group(1).lower())) % 7 or 7
        return (day - timedelta(days=back)).isoformat()
    m = MONTH_DAY.fullmatch(clean) or DAY_MONTH.fullmatch(clean)
    if m and m.group("m").lower() in MONTHS:
        month, dom = MONTHS.index(m.group("m").lower()) + 1, int(m.group("d"))
        try:
            if m.group("y"):
                return date(int(m.group("y")), month, dom).isoformat()
            if day is None:
                return None
            found = date(day.year, month, dom)
            return (found if found <= day else date(day.year - 1, month, dom)).isoformat()
        except ValueError:
            return None
    return None
