"""Scoring extracted relations against a gold file (``kg eval GOLD.json PATHS...``).

Same semantics and the same row fields as the project's reference scorer: predicates are compared by *family*
(``retook`` counts as ``captured``, ``eliminated`` as ``killed``); ``alliedWith`` is symmetric; a row's
``subject`` and ``object`` (the actors as the sentence names them, see ``relation_rows``) match a gold form when
the normalised texts are equal, or one contains the other as whole words, unless the shorter one is made only
of generic words ("rebels", "the army"). Normalising drops case, "'s", punctuation (so "al-Assad" is "al Assad")
and a leading article. Gold entries are recall targets; ``optional`` entries may be found without penalty;
every other in-family prediction costs precision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

FAMILIES: dict[str, list[str]] = {
    "captured": ["captured", "recaptured", "retook", "seized", "tookcontrolof", "overran", "occupied", "capture"],
    "backs": ["backs", "supports", "armed", "funds", "arms", "sponsors", "supplies", "supplied", "aids", "assists",
              "backed"],
    "killed": ["killed", "eliminated", "assassinated"],
    "attacked": ["attacked", "struck", "bombed", "shelled", "targeted", "raided", "launchedattackon", "attacks"],
    "leads": ["leads", "commands", "heads", "led"],
    "memberOf": ["memberof", "affiliatedwith", "partof", "envoyof", "pledgedallegianceto", "belongsto"],
    "alliedWith": ["alliedwith", "allyof", "allied"],
    "opposes": ["opposes", "fights", "foughtagainst", "opposed"],
    "invaded": ["invaded", "invades"],
}
SYMMETRIC = {"alliedWith"}
GENERIC = {"rebels", "forces", "troops", "group", "militants", "government", "army", "city", "region",
           "country", "soldiers", "people", "fighters", "regime", "coalition", "alliance", "junta",
           "town", "village", "villages", "towns", "cities", "locations", "the", "of", "his", "its", "their",
           "jihadist", "islamist", "syrian", "us", "u.s", "military", "state", "new", "other", "major"}
FAMILY_OF = {re.sub(r"[^a-z]", "", n): fam for fam, names in FAMILIES.items() for n in names}

__all__ = ["EvalReport", "FamilyScore", "PloverReport", "evaluate", "evaluate_plover", "false_events", "family",
           "format_report", "load_rows"]


def family(predicate: str) -> str | None:
    local = re.split(r"[#/:]", str(predicate))[-1]
    return FAMILY_OF.get(re.sub(r"[^a-z]", "", local.lower()))


def _norm(text: str) -> str:
    text = str(text).lower().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    words = text.split()
    while words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)


def _contains(big: str, small: str) -> bool:
    return re.search(r"(^| )" + re.escape(small) + r"($| )", big) is not None


def _matches(pred: str, forms: list[str]) -> bool:
    p = _norm(pred)
    if not p:
        return False
    for form in forms:
        f = _norm(form)
        if p == f:
            return True
        shorter = p if len(p) < len(f) else f
        if set(shorter.split()) <= GENERIC or len(shorter) < 3:
            continue
        if _contains(p, f) or _contains(f, p):
            return True
    return False


def _hit(row: dict, entry: dict) -> bool:
    fam = family(row["predicate"])
    if fam != entry["p"]:
        return False
    if _matches(row["subject"], entry["s"]) and _matches(row["object"], entry["o"]):
        return True
    return fam in SYMMETRIC and _matches(row["object"], entry["s"]) and _matches(row["subject"], entry["o"])


@dataclass
class FamilyScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalReport:
    overall: FamilyScore = field(default_factory=FamilyScore)
    families: dict[str, FamilyScore] = field(default_factory=dict)
    misses: list[tuple[str, dict]] = field(default_factory=list)  # (doc id, gold entry)
    wrong: list[tuple[str, dict]] = field(default_factory=list)  # (doc id, predicted row)

    @property
    def precision(self) -> float:
        return self.overall.precision

    @property
    def recall(self) -> float:
        return self.overall.recall

    @property
    def f1(self) -> float:
        return self.overall.f1


def load_rows(paths: Iterable[str | Path]) -> list[dict]:
    """Prediction rows from .jsonl files (one JSON object per line)."""
    rows: list[dict] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def evaluate(gold_path: str | Path, rows: Iterable[dict]) -> EvalReport:
    with open(gold_path, encoding="utf-8") as fh:
        gold = {d["id"]: d for d in json.load(fh)["docs"]}
    preds: dict[str, list[dict]] = {}
    for row in rows:
        doc = Path(str(row.get("doc", ""))).stem
        if doc in gold and family(row.get("predicate", "")):
            preds.setdefault(doc, []).append(row)
    report = EvalReport()
    for fam in FAMILIES:
        report.families[fam] = FamilyScore()

    def count(fam: str, attr: str) -> None:
        setattr(report.overall, attr, getattr(report.overall, attr) + 1)
        score = report.families.setdefault(fam, FamilyScore())
        setattr(score, attr, getattr(score, attr) + 1)

    for doc_id, d in gold.items():
        got = preds.get(doc_id, [])
        for entry in d["gold"]:
            if any(_hit(p, entry) for p in got):
                count(entry["p"], "tp")
            else:
                count(entry["p"], "fn")
                report.misses.append((doc_id, entry))
        for p in got:
            if not any(_hit(p, e) for e in d["gold"] + d.get("optional", [])):
                count(family(p["predicate"]) or "", "fp")
                report.wrong.append((doc_id, p))
    return report


def format_report(report: EvalReport) -> str:
    o = report.overall
    lines = [f"overall    precision {o.precision:.2f} recall {o.recall:.2f} F1 {o.f1:.2f} "
             f"(tp {o.tp}, fp {o.fp}, fn {o.fn})", ""]
    lines.append(f"{'family':<12}{'P':>6}{'R':>6}{'F1':>6}{'tp':>5}{'fp':>5}{'fn':>5}")
    for fam, s in report.families.items():
        if s.tp + s.fp + s.fn:
            lines.append(f"{fam:<12}{s.precision:>6.2f}{s.recall:>6.2f}{s.f1:>6.2f}{s.tp:>5}{s.fp:>5}{s.fn:>5}")
    if report.misses:
        lines += ["", "misses:"]
        lines += [f"  {doc}: {e['s'][0]} {e['p']} {e['o'][0]}" for doc, e in report.misses]
    if report.wrong:
        lines += ["", "wrong:"]
        lines += [f"  {doc}: {p['subject']} | {p['predicate']} | {p['object']}" for doc, p in report.wrong]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- PLOVER
# The semantics of the project's PLOVER scorer (../shared/dev/score_plover.py): rows carry "plover" (a type) or
# are read through the fallback from their relation family; an actor matches a gold source when they share a
# word outside STOP.
PLOVER_FALLBACK = {"captured": {"FIGHT"}, "attacked": {"ASSAULT", "FIGHT"}, "killed": {"ASSAULT", "FIGHT"},
                   "invaded": {"FIGHT"}, "backs": {"SUPPORT", "AID"}, "alliedWith": {"COOPERATE", "SUPPORT"},
                   "opposes": {"DISAPPROVE"}}
PLOVER_STOP = {"the", "of", "a", "an", "and", "in", "s", "forces", "government", "officials", "official"}


@dataclass
class PloverReport:
    """Per gold record (one event of one sentence): a row of its type (``typed``), one whose subject names a
    gold source (``actor``), or rows but none of its type (``wrong``); ``per_type`` holds (actor hits, records)."""

    records: int = 0
    typed: int = 0
    actor: int = 0
    wrong: int = 0
    per_type: dict[str, list[int]] = field(default_factory=dict)
    misses: list[tuple[dict, list[str]]] = field(default_factory=list)  # (gold record, predicted types)

    @property
    def type_recall(self) -> float:
        return self.typed / self.records if self.records else 0.0

    @property
    def actor_recall(self) -> float:
        return self.actor / self.records if self.records else 0.0

    @property
    def wrong_type(self) -> float:
        return self.wrong / self.records if self.records else 0.0

    def format(self) -> str:
        detail = ", ".join(f"{k} {h}/{n}" for k, (h, n) in sorted(self.per_type.items()))
        lines = [f"PLOVER type recall {self.type_recall:.2f}, actor recall {self.actor_recall:.2f}, wrong type "
                 f"{self.wrong_type:.2f} on {self.records} records ({detail})"]
        lines += [f"  MISS {r['id']} {r['event']}: got {', '.join(got) or 'nothing'} | {r.get('text', '')[:120]}"
                  for r, got in self.misses]
        return "\n".join(lines)


def _plover_types(row: dict) -> set[str]:
    if row.get("plover"):
        return {str(row["plover"]).upper()}
    return PLOVER_FALLBACK.get(family(row.get("predicate", "")) or "", set())


def _shares_a_word(a: str, b: str) -> bool:
    return bool((set(_norm(a).split()) - PLOVER_STOP) & (set(_norm(b).split()) - PLOVER_STOP))


def evaluate_plover(gold_path: str | Path, rows: Iterable[dict]) -> PloverReport:
    """Score rows against PLOVER gold-standard records (a JSON list; DOCUMENT records are skipped)."""
    with open(gold_path, encoding="utf-8") as fh:
        records = [r for r in json.load(fh) if r.get("event") and r["event"] != "DOCUMENT"]
    by_doc: dict[str, list[dict]] = {}
    for row in rows:
        by_doc.setdefault(Path(str(row.get("doc", ""))).stem, []).append(row)
    report = PloverReport(records=len(records))
    for r in records:
        got = by_doc.get(r["id"], [])
        of_type = [p for p in got if r["event"] in _plover_types(p)]
        sources = [a.get("actorText", "") for a in r.get("source") or []]
        hit = bool(of_type) and (not sources or any(_shares_a_word(str(p.get("subject") or ""), s)
                                                    for p in of_type for s in sources))
        report.typed += bool(of_type)
        report.actor += hit
        report.wrong += bool(got) and not of_type
        counts = report.per_type.setdefault(r["event"], [0, 0])
        counts[0] += hit
        counts[1] += 1
        if not hit:
            report.misses.append((r, sorted({t for p in got for t in _plover_types(p)})))
    return report


def false_events(rows: Iterable[dict], empty_docs: Iterable[str]) -> tuple[int, int]:
    """(documents without any event that got a row anyway, documents without any event)."""
    predicted = {Path(str(row.get("doc", ""))).stem for row in rows}
    empty = set(empty_docs)
    return len(empty & predicted), len(empty)
