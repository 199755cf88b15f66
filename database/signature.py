"""The fingerprint-parameter signature a store is built with, and the check that a request matches it."""

from __future__ import annotations

import json

from database.base import ParamsMismatchError

#: The `meta` row that holds the signature.
META_NAME = "fingerprint_params"
_UNSET = object()


def signature_json(signature: dict[str, object]) -> str:
    """The stored text of a signature: JSON with sorted keys."""
    return json.dumps(signature, sort_keys=True)


def check_signature(stored_json: str, signature: dict[str, object], where: str) -> None:
    """Raise ParamsMismatchError, naming every differing key, unless `signature` equals the stored one."""
    stored = json.loads(stored_json)
    requested = json.loads(signature_json(signature))
    keys = sorted(
        key
        for key in stored.keys() | requested.keys()
        if stored.get(key, _UNSET) != requested.get(key, _UNSET)
    )
    if not keys:
        return
    built = ", ".join(f"{key}={_show(stored, key)}" for key in keys)
    asked = ", ".join(f"{key}={_show(requested, key)}" for key in keys)
    raise ParamsMismatchError(
        f"The store {where} was built with {built}, the configuration asks for {asked}; "
        "use the parameters it was built with or a new store."
    )


def _show(values: dict[str, object], key: str) -> str:
    return json.dumps(values[key]) if key in values else "(not set)"
