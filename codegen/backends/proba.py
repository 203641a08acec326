"""Template context for `<name>_proba` (templates/_proba.h.j2): every number decided here."""

from __future__ import annotations

from codegen.ir import proba
from codegen.ir.model import TreeEnsemble


def proba_context(ir: TreeEnsemble) -> dict:
    link = proba.proba_link(ir)
    if link is None:
        return {"proba": False}
    return {
        "proba": True,
        "proba_mean": link.mean_of,
        "proba_score_frac_bits": ir.leaf_format.frac_bits,  # of the scores (class votes included)
        "proba_reciprocal": proba.mean_reciprocal(link) if link.mean_of else 0,
        "proba_mean_shift": proba.MEAN_SHIFT,
        "proba_binary": link.binary,
        "proba_offset": link.offset,
        "proba_table": [int(v) for v in proba.exp2_table()],
        "proba_steps_log2": proba.TABLE_STEPS_LOG2,
        "proba_log2e": proba.LOG2E,
        "proba_log2e_bits": proba.LOG2E_BITS,
        "proba_c1": proba.RECIPROCAL_C1,
        "proba_c2": proba.RECIPROCAL_C2,
        "proba_newton_steps": proba.NEWTON_STEPS,
        "proba_frac_bits": proba.PROBA_FRAC_BITS,
        "proba_bound": f"{proba.proba_report(ir)['proba_bound']:.2e}",
    }
