"""The PLOVER event types as the ontology defines them: class, target role and shortcut per type.

Read from ``ontology/plover/plover.toml``, the data ``ontology/plover/build.py`` generates ``plover.ttl`` from,
so the extractor (which names a row's predicate) and the mapping (which types event nodes and picks their
roles) agree with the ontology without parsing it. A sub-role narrows the role for one mode (COERCE/arrest:
``ck:detainee``, shortcut ``ck:arrested``). Joint types (AGREE, CONSULT, COOPERATE, FIGHT) have a symmetric
shortcut: their first-named party is the ``ck:agent``, the other parties take the role.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

PLOVER_DATA = Path(__file__).resolve().parents[1] / "ontology" / "plover" / "plover.toml"
MODE_NS = "https://w3id.org/conflict-kg/plover/mode/"
CONTEXT_NS = "https://w3id.org/conflict-kg/plover/context/"
CAMEO_NS = "https://w3id.org/conflict-kg/cameo/"

__all__ = ["CAMEO_NS", "CONTEXT_NS", "MODE_NS", "PloverType", "PloverTypes", "load_plover_types"]


@dataclass(frozen=True)
class PloverType:
    code: str  # as ck:ploverCode writes it: "ASSAULT"
    cls: str  # local name of the ontology class: "Assault"
    role: str  # local name of the target role: "assaultTarget"
    shortcut: str  # local name of the derived shortcut: "assaulted"
    joint: bool  # the shortcut is symmetric: every party is a source


@dataclass(frozen=True)
class PloverTypes:
    types: dict[str, PloverType]
    subroles: dict[tuple[str, str], tuple[str, str]]  # (code, mode) -> (role, shortcut)
    alt_codes: dict[str, str]  # "REQUEST" -> "DEMAND"
    modes: dict[str, frozenset[str]]  # code -> its own modes
    parents: dict[str, str]  # "DISAPPROVE" -> "ACCUSE", "FIGHT" -> "ASSAULT"

    def mode_iri(self, code: str, mode: str) -> str | None:
        """The concept of ``mode`` for an event of type ``code``: its own type's, else the type above it
        (DISAPPROVE takes ACCUSE's modes); None for a mode the ontology does not have."""
        while code:
            if mode in self.modes.get(code, ()):
                return f"{MODE_NS}{code}.{mode}"
            code = self.parents.get(code, "")
        return None

    def get(self, code: str) -> PloverType | None:
        return self.types.get(self.alt_codes.get(code, code))

    def role(self, code: str, mode: str = "") -> str:
        return self.subroles.get((code, mode), (self.types[code].role, ""))[0]

    def shortcut(self, code: str, mode: str = "") -> str:
        """The property an event of this type and mode derives: 'arrested' for COERCE/arrest, else the type's."""
        return self.subroles.get((code, mode), ("", self.types[code].shortcut))[1]


@functools.cache
def load_plover_types(path: Path = PLOVER_DATA) -> PloverTypes:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    types = {t["code"]: PloverType(t["code"], t["class"], t["role"]["name"], t["shortcut"]["name"],
                                   bool(t["shortcut"].get("symmetric")))
             for t in data["type"] if "role" in t}
    subroles = {(s["type"], s["mode"]): (s["role"]["name"], s["shortcut"]["name"]) for s in data.get("subrole", [])}
    alt = {a: t["code"] for t in data["type"] for a in t.get("alt_codes", [])}
    code_of = {t["class"]: t["code"] for t in data["type"]}
    parents = {t["code"]: code_of[t["parent"]] for t in data["type"] if "parent" in t}
    modes = {code: frozenset(table) for code, table in data.get("mode", {}).items()}
    return PloverTypes(types, subroles, alt, modes, parents)
