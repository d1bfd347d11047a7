"""Make the PLOVER dev set scorable with ../shared/dev/score_plover.py, and score its no-event sentences.

  python tests/data/plover-dev/scorable.py write           texts/<id>.txt for every sentence, gsr.json
  python tests/data/plover-dev/scorable.py none PRED.jsonl share of no-event sentences with a predicted event

plover-dev.json is the source; gsr.json and texts/ are derived from it (a test checks they agree). gsr.json
has one record per asserted event in the format of the PLOVER gold-standard records, with the sentence id
as record id (a sentence with two events gives two records with the same id); score_plover.py skips the
sentences without events, which `none` scores instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEV = HERE / "plover-dev.json"
GSR = HERE / "gsr.json"
TEXTS = HERE / "texts"


def load(path: Path = DEV) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["sentences"]


def gsr_records(sentences: list[dict]) -> list[dict]:
    """One gold record per asserted event, in the PLOVER gold-standard record format."""
    out = []
    for s in sentences:
        for e in s["events"]:
            if e["modality"] != "asserted":
                continue
            out.append({"id": s["id"], "event": e["type"], "mode": e["mode"], "context": ", ".join(e["context"]),
                        "source": [{"actorText": a} for a in e["source"]],
                        "target": [{"actorText": a} for a in e["target"]] or "",
                        "eventText": e["trigger"], "cameo": e["cameo"], "text": s["text"], "language": "en",
                        "coder": "conflict-kg"})
    return out


def write() -> None:
    sentences = load()
    TEXTS.mkdir(exist_ok=True)
    for old in TEXTS.glob("*.txt"):
        old.unlink()
    for s in sentences:
        (TEXTS / f"{s['id']}.txt").write_text(s["text"] + "\n", encoding="utf-8")
    GSR.write_text(json.dumps(gsr_records(sentences), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def false_events(pred_path: Path, sentences: list[dict]) -> tuple[int, int]:
    """(no-event sentences with at least one predicted event, no-event sentences)."""
    predicted = set()
    for line in pred_path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        predicted.add(Path(str(row.get("doc", ""))).stem)
    empty = [s["id"] for s in sentences if not s["events"]]
    return sum(1 for i in empty if i in predicted), len(empty)


def main(argv: list[str]) -> int:
    if argv == ["write"]:
        write()
        print(f"wrote {GSR} and {TEXTS}/")
        return 0
    if len(argv) == 2 and argv[0] == "none":
        hits, n = false_events(Path(argv[1]), load())
        print(f"false events on no-event sentences: {hits}/{n} = {hits / n:.2f}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
