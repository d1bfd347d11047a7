"""The public surface: everything in ``__all__`` exists, and nothing public is missing from it."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["kg", "kg.nlp", "server", "kg.store", "kg.records", "kg.namespaces"])
def test_all_names_exist(module):
    mod = importlib.import_module(module)
    assert mod.__all__, f"{module} declares no __all__"
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names {name!r}, which does not exist"


def test_package_exports_the_pipeline():
    import kg

    for name in ("Document", "Extraction", "Store", "build", "read_documents", "to_networkx"):
        assert name in kg.__all__


def test_error_hierarchy_is_rooted():
    from kg import errors

    for name in ("InputError", "StoreError", "StoreLockedError", "QueryError", "ForbiddenOperationError",
                 "QueryTimeoutError", "ModelError"):
        assert issubclass(getattr(errors, name), errors.KGError)
