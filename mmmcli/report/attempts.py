"""The report's account of a retried near miss: the headline's sentence and the attempts table.

Read from the manifest's ``attempts`` (``analysis.nearmiss.attempt_record``), like everything
the report shows; a run sampled once shows neither (its one attempt is the run itself).
"""

from __future__ import annotations

from typing import Any

from ..analysis.notices import retry_line


def retry_sentence(attempts: list[dict] | None) -> str | None:
    """``Retried once: 1 divergence at target_accept 0.9; passed at 0.97.``, or None."""
    line = retry_line(attempts)
    return f"{line[:1].upper()}{line[1:]}." if line else None


def attempt_rows(attempts: list[dict] | None) -> list[dict[str, str]] | None:
    """A row per attempt, or None when the fit was sampled once."""
    if not attempts or len(attempts) < 2:
        return None
    rows = []
    for a in attempts:
        s = a.get("settings") or {}
        rows.append(
            {
                "attempt": str(a.get("attempt")),
                "settings": (
                    f"target_accept {_figure(s.get('target_accept'), 'g')}, seed {s.get('seed')}, "
                    f"{s.get('chains')} x {s.get('tune')} + {s.get('draws')}"
                ),
                "divergences": str(a.get("divergences")),
                "max_r_hat": _figure(a.get("max_r_hat"), ".4f"),
                "min_ess_bulk": _figure(a.get("min_ess_bulk"), ",.0f"),
                "seconds": _figure(a.get("seconds"), ".1f"),
                "status": str(a.get("status")),
                "why": str(a.get("retry") or ""),
            }
        )
    return rows


def _figure(value: Any, spec: str) -> str:
    return format(value, spec) if isinstance(value, int | float) else "–"
