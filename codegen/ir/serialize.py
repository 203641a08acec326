"""IR -> JSON-ready dicts (the `<name>.json` summary) and the canonical bytes of the model hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np

SHAPE_ONLY_FIELDS = frozenset({"child_weight"})
# The source facts follow from what the frontend read (the estimator and its notes, which are
# hashed): hashing them too would change the model hash of every header already generated.
DERIVED_FIELDS = frozenset({"source"})


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def ir_to_dict(ir, *, with_arrays: bool = True) -> dict:
    """All fields of an IR dataclass; without arrays, each array is replaced by its shape/dtype."""
    out = {"kind": type(ir).__name__}
    for f in dataclasses.fields(ir):
        value = getattr(ir, f.name)
        if isinstance(value, np.ndarray) and not with_arrays:
            out[f.name] = {"shape": list(value.shape), "dtype": str(value.dtype)}
        else:
            out[f.name] = _plain(value)
    return out


def ir_digest(ir) -> bytes:
    """Bytes that change whenever anything the generated C computes changes. Training-sample
    counts (`child_weight`) only order the branches, so they stay out: equal models, equal hash."""
    digest = hashlib.sha256(type(ir).__name__.encode())
    for f in dataclasses.fields(ir):
        value = getattr(ir, f.name)
        if f.name in SHAPE_ONLY_FIELDS or f.name in DERIVED_FIELDS:
            continue
        digest.update(f.name.encode())
        if isinstance(value, np.ndarray):
            digest.update(str(value.dtype).encode() + str(value.shape).encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(json.dumps(_plain(value), sort_keys=True, default=str).encode())
    return digest.digest()
