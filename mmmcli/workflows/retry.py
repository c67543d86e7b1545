"""Sample, judge, and after a near miss sample once more: the attempts of one ``mmm fit``.

``fit`` calls :func:`sample_judged` with the run lock held and before any run folder exists, so
the attempts share the lock and the commit protocol: a signal during either attempt unwinds
through here (``Interrupted``) before anything is written, and only the attempt that is the last
word is written, as the run. The first attempt's trace is dropped once it has been judged.

Which failures are near misses, the retry's settings and the record of each attempt are
``analysis.nearmiss``'s; this module only runs the loop and says on the console what it does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd
from rich.console import Console
from rich.markup import escape

from .. import interrupts
from ..analysis.diagnosis import concentrated_divergences
from ..analysis.diagnostics import diagnose, posterior_summary
from ..analysis.nearmiss import Judgement, attempt_record, judge, retry_settings
from ..sampling.engines import ReadySampler, SampleResult
from ..spec.config import Config

NO_RETRY = "--no-retry"


@dataclass
class Judged:
    """The attempt that is the last word, judged, and the record of every attempt."""

    sampled: SampleResult
    summary: pd.DataFrame
    diag: dict
    status: str  # passed | failed | unchecked
    attempts: list[dict]
    judgement: Judgement | None  # why the last attempt was not retried (a failed gate only)
    compile_seconds: float
    sample_seconds: float

    @property
    def exit_code(self) -> int:
        return 3 if self.status == "failed" else 0


def sample_judged(
    cfg: Config, ready: ReadySampler, *, quick: bool, retry: bool, console: Console
) -> Judged:
    """Sample with ``ready`` and judge the draws against the config's gate; a near miss is
    sampled again under ``sampler.retry`` (never with ``quick``: its runs are not gated;
    never when ``retry`` is False: ``--no-retry``), with the compiled model reused."""
    policy = ready.settings.retry
    attempts: list[dict] = []
    compile_seconds = sample_seconds = 0.0
    attempt, current = 1, ready
    while True:
        started = time.perf_counter()
        sampled = current.run()
        interrupts.check()
        compile_seconds += sampled.compile_seconds
        sample_seconds += sampled.sample_seconds
        summary = posterior_summary(sampled.idata, cfg.hdi_prob)
        diag = diagnose(summary, sampled.idata, cfg.checks, gated=not quick)
        status = "unchecked" if quick else ("passed" if diag["passed"] else "failed")
        judgement = None
        if status == "failed":
            concentrated = concentrated_divergences(sampled.idata) if diag["divergences"] else []
            switched_off = None if retry else NO_RETRY
            judgement = judge(diag, concentrated, current.settings, policy, attempt, switched_off)
        seconds = time.perf_counter() - started
        why = judgement.why if judgement is not None else None
        attempts.append(attempt_record(attempt, current.settings, diag, seconds, status, why))
        if judgement is None or not judgement.retry:
            return Judged(
                sampled,
                summary,
                diag,
                status,
                attempts,
                judgement,
                compile_seconds,
                sample_seconds,
            )
        attempt += 1
        settings = retry_settings(ready.settings, policy, attempt)
        console.print(
            f"[yellow]{escape(judgement.why[:1].upper() + judgement.why[1:])}[/] "
            f"(seed {settings.seed}); the first attempt's draws are set aside",
            highlight=False,
        )
        del sampled, summary  # the first trace is not kept: free it before sampling again
        current = replace(ready, settings=settings, compile_seconds=0.0)  # compiled: reused
