"""PLOVER event coding quality: actor recall, wrong types and per-type figures on the PLOVER gold-standard records
(``../shared/dev/plover/gsr-dev.json``, present on the development machine only, never in the repository) and on
the vendored PLOVER dev set (``tests/data/plover-dev``, whose gates are in tests/test_quality.py), scored with
``kg.evaluate.evaluate_plover`` (the semantics of ``../shared/dev/score_plover.py``).

    python -m bench --only plover [--quick]
"""

from __future__ import annotations

import json
from pathlib import Path

from kg.evaluate import evaluate_plover, false_events
from kg.records import Document

ROOT = Path(__file__).resolve().parents[1]
GOLD = next((p / "shared" / "dev" / "plover" / "gsr-dev.json" for p in ROOT.parents
             if (p / "shared" / "dev" / "plover" / "gsr-dev.json").exists()), None)
DEV = ROOT / "tests" / "data" / "plover-dev"


def _rows(extractor, docs: list[Document]) -> list[dict]:
    from kg.nlp import relation_rows

    return [row for x in extractor.pipe(docs) for row in relation_rows(x)]


def _figures(report) -> dict:
    return {"actor_recall": round(report.actor_recall, 3), "type_recall": round(report.type_recall, 3),
            "wrong_type": round(report.wrong_type, 3), "records": report.records,
            "per_type": {k: f"{h}/{n}" for k, (h, n) in sorted(report.per_type.items())}}


def main(quick: bool = False) -> dict:
    from kg.nlp import Extractor

    extractor = Extractor()
    results: dict = {}
    if GOLD is not None:
        records = [r for r in json.loads(GOLD.read_text(encoding="utf-8")) if r.get("event") not in (None, "DOCUMENT")]
        docs = list({r["id"]: Document(id=r["id"], text=r["text"] + "\n", path=f"{r['id']}.txt")
                     for r in records}.values())
        report = evaluate_plover(GOLD, _rows(extractor, docs))
        results["gold_records"] = _figures(report)
        print(report.format().splitlines()[0], flush=True)
    else:
        results["gold_records"] = "skipped: ../shared/dev/plover/gsr-dev.json is not on this machine"
    texts = sorted((DEV / "texts").glob("*.txt"))
    rows = _rows(extractor, [Document(id=p.stem, text=p.read_text(encoding="utf-8"), path=str(p)) for p in texts])
    report = evaluate_plover(DEV / "gsr.json", rows)
    results["plover_dev"] = _figures(report)
    sentences = json.loads((DEV / "plover-dev.json").read_text(encoding="utf-8"))["sentences"]
    hits, n = false_events(rows, [s["id"] for s in sentences if not s["events"]])
    results["plover_dev"]["false_events_on_no_event_sentences"] = f"{hits}/{n}"
    print(report.format().splitlines()[0], f"false events {hits}/{n}", flush=True)
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
