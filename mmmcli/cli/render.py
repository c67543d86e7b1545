"""How the ``mmm`` commands' results look in a terminal (rich tables on stderr)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..analysis.compare import Comparison
from ..decisions.labels import change_label, marginal_label, quantile_line
from ..errors import plural

NAME_WIDTH = 28  # longer channel names wrap in the channel table


def channels(console: Console, frame: pd.DataFrame) -> None:
    """The channel table after a fit: spend, contribution, share, ROAS/CPA with intervals.

    Nothing is ever cut with an ellipsis, whatever the terminal's width: intervals go on a line
    of their own (split over two in a narrow terminal), a calibrated channel says how under its
    name, and only a name longer than the room left folds onto a second line.
    """
    metric = "roas" if "roas_mean" in frame else "cpa"
    headers: tuple[str, ...] = ("channel", "spend", "contribution", "share", metric.upper())
    if f"m{metric}_mean" in frame:  # marginal: the return of the next unit of spend
        headers += (marginal_label(metric),)
    rows = _channel_rows(frame, metric, split=False)
    if sum(_widths(rows, headers)) > console.width:
        rows = _channel_rows(frame, metric, split=True)
    room = console.width - sum(_widths(rows, headers)[1:]) - 4
    longest = max(len(str(c)) for c in frame["channel"])
    table = Table(title="Channels (fitted periods)", title_justify="left")
    table.add_column("channel", min_width=max(min(longest, NAME_WIDTH, room), 8), overflow="fold")
    for col in headers[1:]:
        table.add_column(col, justify="right", no_wrap=col in ("spend", "share"), overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def media_share(console: Console, metrics: dict) -> None:
    """One line: how much of the target the channels together explain, with its interval."""
    share = metrics.get("media_share")
    if share:
        console.print(
            f"Media: {share['mean']:.1%} of the target over the fitted periods "
            f"({share['hdi_prob']:.0%} HDI {share['hdi_low']:.1%} to {share['hdi_high']:.1%})"
        )


def _widths(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> list[int]:
    """Each column's natural width in a table with borders (3 per column)."""
    cells = [[h, *(r[k] for r in rows)] for k, h in enumerate(headers)]
    return [3 + max(len(line) for cell in col for line in cell.split("\n")) for col in cells]


def _channel_rows(frame: pd.DataFrame, metric: str, split: bool) -> list[tuple[str, ...]]:
    def interval(low: float, high: float, spec: str) -> str:
        return f"[{low:{spec}},{chr(10) if split else ' '}{high:{spec}}]"

    rows = []
    for row in frame.itertuples():
        name = "\n".join(textwrap.wrap(str(row.channel), NAME_WIDTH, break_long_words=True))
        if row.calibrated != "none":
            name += f"\n[dim]calibrated: {row.calibrated}[/]"
        low, high = getattr(row, f"{metric}_hdi_low"), getattr(row, f"{metric}_hdi_high")
        rows.append(
            (
                name,
                f"{row.spend:,.0f}",
                f"{row.contribution_mean:,.0f}\n"
                + interval(row.contribution_hdi_low, row.contribution_hdi_high, ",.0f"),
                f"{row.share_mean:.1%}",
                f"{getattr(row, metric + '_mean'):,.3g}\n" + interval(low, high, ",.3g"),
            )
        )
        marginal = f"m{metric}"
        if hasattr(row, f"{marginal}_mean"):
            rows[-1] += (
                f"{getattr(row, marginal + '_mean'):,.3g}\n"
                + interval(
                    getattr(row, marginal + "_hdi_low"),
                    getattr(row, marginal + "_hdi_high"),
                    ",.3g",
                ),
            )
    return rows


def allocation(console: Console, result: dict[str, Any]) -> None:
    """``mmm optimize``: the recommended split, the gain over the recent mix, the warnings."""
    metric = "roas" if result["kind"] == "revenue" else "cpa"
    table = Table(
        title=f"Allocation of {result['budget']:,.0f} over {result['periods']} periods "
        f"from {result['first_period']} ({result['objective']} of the response)",
        title_justify="left",
    )
    header = marginal_label(metric)
    for col in ("channel", "recent", "recommended", "change", "response", header):
        table.add_column(col, justify="left" if col == "channel" else "right")
    for row in result["allocation"]:
        table.add_row(
            escape(str(row["channel"])),
            f"{row['recent_spend']:,.0f}",
            f"{row['recommended_spend']:,.0f}",
            change_label(row["recent_spend"], row["recommended_spend"]),
            f"{row['response_mean']:,.4g}\n"
            f"[{row['response_hdi_low']:,.4g}, {row['response_hdi_high']:,.4g}]",
            f"{row[f'm{metric}_mean']:,.3g}",
        )
    console.print(table)
    r = result
    said = quantile_line(r)
    if said:
        console.print(said)
    console.print(
        f"Expected response {r['response_mean']:,.4g} vs {r['baseline_response_mean']:,.4g} "
        f"with the recent mix at the same budget: gain {r['gain_mean']:,.4g} "
        f"({r['hdi_prob']:.0%} HDI {r['gain_hdi_low']:,.4g} to {r['gain_hdi_high']:,.4g}), "
        f"P(gain > 0) = {r['gain_probability_positive']:.2f}"
    )
    for line in result["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False)
    console.print(f"Allocation folder: {result['run_dir']}")


def validation(console: Console, result: dict[str, Any]) -> None:
    """``mmm validate``: one row per fold, then the means and the verdict."""
    table = Table(
        title=f"Rolling-origin validation: {plural(result['folds'], 'fold')} x "
        f"{plural(result['horizon'], 'period')}",
        title_justify="left",
    )
    for col in ("fold", "fit to", "scored from", "MAPE", "CRPS", "50%", "94%", "status"):
        table.add_column(
            col, justify="left" if col in ("fit to", "scored from") else "right", overflow="fold"
        )
    for r in result["folds_table"]:
        table.add_row(
            str(r["fold"]),
            r["train_end"],
            r["test_start"],
            "" if r["mape"] is None or r["mape"] != r["mape"] else f"{r['mape']:.1%}",
            f"{r['crps']:,.4g}",
            f"{r['coverage_50']:.0%}",
            f"{r['coverage_94']:.0%}",
            r["status"],
        )
    console.print(table)
    m = result["mean"]
    mape = "n/a" if m["mape"] is None else f"{m['mape']:.1%}"
    console.print(
        f"Mean over folds: MAPE {mape}, CRPS {m['crps']:,.4g}, predictive interval "
        f"coverage {m['coverage_50']:.0%} (50%) and {m['coverage_94']:.0%} (94%)"
    )
    shares = ", ".join(
        f"{s['channel']} {s['min']:.0%}-{s['max']:.0%}" for s in result["share_stability"]
    )
    console.print(f"Channel shares across folds: {shares}")
    if result["failed_folds"]:
        console.print(
            f"[red]Folds {', '.join(map(str, result['failed_folds']))} failed their convergence "
            f"checks.[/]"
        )
    console.print(f"Validation folder: {result['run_dir']}")


def diagnosis(console: Console, diag: dict[str, Any]) -> None:
    """Why a fit failed its convergence checks and what to do (``diag``: diagnostics.json).

    Printed last, so the lines a user acts on are the last on the screen; names are escaped
    because vector elements (``seasonality_coef[sin1]``) look like rich markup.
    """
    from ..analysis.notices import failure_reasons

    found = diag.get("diagnosis")
    if not found:
        return
    why = failure_reasons(diag)
    for title, lines in (("Why the checks failed:", why), ("What to do:", found["advice"])):
        if lines:
            console.print(f"[bold]{title}[/]")
            console.print(_hanging(lines, "-" if lines is found["advice"] else ""))


def _hanging(lines: list[str], bullet: str) -> Table:
    """Lines indented under a heading, wrapped lines aligned with their first (no markup)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(overflow="fold")
    for line in lines:
        grid.add_row(bullet, escape(line))
    return grid


def plan(console: Console, plan: dict[str, Any]) -> None:
    """``mmm check``'s plan: data, channels, priors, calibration, sampler."""
    d = plan["data"]
    console.print(
        f"[bold]{plan['name']}[/] ({plan['config']}): config, data and calibration are valid "
        f"({plan['seconds']:.1f} s)"
    )
    console.print(
        f"data: {d['path']}: {d['rows']} rows, {d['start']} to {d['end']} ({d['frequency']}); "
        f"fitting {d['fitted_rows']}, holdout {d['holdout_rows']}; target {d['target']} "
        f"({d['kind']})"
    )
    table = Table(title="Channels", title_justify="left")
    for col in (
        "channel",
        "spend column",
        "spend",
        "spend scale",
        "adstock",
        "saturation",
        "calibrated",
    ):
        table.add_column(col)
    for ch in plan["channels"]:
        table.add_row(
            ch["channel"],
            ch["spend_column"],
            f"{ch['spend_total']:,.0f}",
            f"{ch['spend_scale']:,.4g}",
            ch["adstock"],
            ch["saturation"],
            ch["calibrated"],
        )
    console.print(table)
    priors = Table(title="Priors", title_justify="left")
    implied = any(p.get("implied_coefficient") for p in plan["priors"])
    columns = ["parameter", "source", "dist", "params", "achieved mass"]
    for col in columns + (["implies"] if implied else []):
        priors.add_column(col)
    for p in plan["priors"]:
        mass = p["achieved_mass"]
        cells = [
            p["parameter"],
            p["source"],
            p["dist"],
            p["params"],
            "" if mass is None else f"{mass:.3f}",
        ]
        priors.add_row(*cells, *([p.get("implied_coefficient") or ""] if implied else []))
    console.print(priors)
    refresh = plan.get("refresh")
    if refresh:
        console.print(
            f"refresh: {len(refresh['parameters'])} priors from {refresh['from']} "
            f"(its status: {refresh['status']}), spread widened x{refresh['widen']:g}"
        )
    for c in plan["calibration"]:
        where = f", window {c['window']}" if "window" in c else f", {c['observations']} periods"
        console.print(f"calibration: {c['source']}: {c['channel']} ({c['method']}{where})")
    for w in plan["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    s = plan["sampler"]
    console.print(
        f"sampler: {s['engine']}, {s['chains']} chains x {s['tune']} tune + {s['draws']} draws, "
        f"target_accept {s['target_accept']}, seed {s['seed']}; runs go to {plan['runs_folder']}"
    )
    tracked = (plan.get("tracking") or {}).get("mlflow")
    if tracked:
        console.print(
            f"tracking: each run is logged to MLflow experiment '{tracked['experiment']}' at "
            f"{tracked['uri']}"
        )


def comparison(console: Console, result: Comparison) -> None:
    """``mmm compare``'s table of compared quantities and its verdict."""
    table = Table(title="Compared with the baseline", title_justify="left")
    for col in ("quantity", "of", "baseline", "current", "change", "HDIs overlap", "drifted"):
        table.add_column(col, overflow="fold")
    for r in result.rows:
        change = r.get("rel_change")
        detail = r.get("dates_drifted", r.get("direction", ""))
        table.add_row(
            str(r["quantity"]),
            str(r["channel_or_component"]),
            number(r.get("baseline")),
            number(r.get("current")),
            "" if change is None else f"{change:+.1%}",
            {True: "yes", False: "no", None: detail}[r.get("hdi_overlap")],
            "[red]DRIFT[/]" if r["drifted"] else "",
        )
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}")
    console.print("[red]Drift found.[/]" if result.drifted else "No drift.")


def number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{value:,.4g}"


def prior(console: Console, result: dict[str, Any]) -> None:
    """The prior predictive summary and whether the observed target falls inside it."""
    table = Table(title="Prior predictive (94% range)", title_justify="left")
    for col in ("quantity", "channel", "low", "median", "high"):
        table.add_column(col, justify="left" if col in ("quantity", "channel") else "right")
    for r in result["summary"]:
        table.add_row(
            r["quantity"], r["channel"], number(r["low"]), number(r["median"]), number(r["high"])
        )
    console.print(table)
    share = result["observed_outside_share"]
    if result["flagged"]:
        console.print(
            f"[yellow]warning:[/] the observed target is outside the prior predictive "
            f"94% range in {share:.0%} of periods: the priors do not cover the data"
        )
    else:
        console.print(
            f"The observed target is inside the prior predictive 94% range in "
            f"{1 - share:.0%} of periods."
        )
    console.print(f"Prior folder: {result['run_dir']}")


AFTER_FIT = ("not tracked:", "report.html not written")  # a fit's own troubles after its run


def batch_line(console: Console, item: Any, quiet: bool = False) -> None:
    """One config of a batch, as it finishes (``quiet``: only when it went wrong)."""
    late = [w for w in item.result.get("warnings") or [] if w.startswith(AFTER_FIT)]
    if quiet and item.exit_code == 0 and not late:
        return
    colour = {0: "green", 3: "red", 75: "yellow"}.get(item.exit_code, "red")
    tail = f"  {item.error}" if item.error else (f"  {item.run_dir}" if item.run_dir else "")
    skipped = " (unchanged, not refitted)" if item.skipped else ""
    from ..analysis.notices import retry_line

    retried = None if item.skipped else retry_line(item.result.get("attempts"))
    skipped += f" ({retried})" if retried else ""  # a near miss sampled again
    console.print(
        f"[{colour}]{item.status}[/] {escape(item.config)} exit {item.exit_code}, "
        f"{item.seconds:.1f} s{skipped}{escape(tail)}",
        highlight=False,
    )
    for line in late:
        console.print(f"  [yellow]warning:[/] {escape(line)}", highlight=False)


def batch(console: Console, outcome: Any) -> None:
    """The summary of ``mmm fit CONFIG...``: one row per config, then the batch's exit code."""
    table = Table(title="Batch", title_justify="left")
    for col in ("config", "status", "exit", "seconds", "R²", "MAPE", "max r_hat", "media"):
        left = col in ("config", "status")
        table.add_column(col, justify="left" if left else "right", overflow="fold")
    names = [Path(i.config).name for i in outcome.items]
    unique = len(set(names)) == len(names)  # file names alone when they tell configs apart
    for item, name in zip(outcome.items, names, strict=True):
        h = item.headline()
        table.add_row(
            escape(name if unique else item.config),
            item.status + (" (skipped)" if item.skipped else ""),
            str(item.exit_code),
            f"{item.seconds:.1f}",
            "" if h["r2"] is None else f"{h['r2']:.3f}",
            "" if h["mape"] is None else f"{h['mape']:.1%}",
            "" if h["max_r_hat"] is None else f"{h['max_r_hat']:.3f}",
            "" if h["media_share"] is None else f"{h['media_share']:.1%}",
        )
    console.print(table)
    batch_errors(console, outcome)
    where = outcome.scheduler or (
        f"this machine, {outcome.jobs} at a time x {plural(outcome.cores_per_fit or 1, 'core')}"
        if outcome.jobs
        else "this machine"
    )
    console.print(
        f"{plural(len(outcome.items), 'config')} in {outcome.seconds:.1f} s on {where}; "
        f"exit {outcome.exit_code} (the most severe: 130/143 > 1 > 74 > 73 > 2 > 3 > 75 > 4 > 0)"
    )


def batch_errors(console: Console, outcome: Any) -> None:
    """One line per config that went wrong."""
    for item in outcome.items:
        if item.error:
            said = item.error if item.config in item.error else f"{item.config}: {item.error}"
            console.print(f"[red]error:[/] {escape(said)}", highlight=False)
