"""The run report: one self-contained ``report.html`` per run folder, read from the folder alone.

``content`` turns the run's files into display-ready values; ``build`` renders them with the
Jinja2 template in ``templates/`` and writes the page atomically. The plots are the run's own
``plots/*.png`` (drawn by ``runs.plots``), inlined.
"""

from .build import REPORT, ReportInfo, render_report, write_report

__all__ = ["REPORT", "ReportInfo", "render_report", "write_report"]
