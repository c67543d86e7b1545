"""Synthetic marketing-mix data with known truth, for tests, benchmarks and the sample data.

Plain numpy and pandas: nothing here imports ``mmmcli``, so a dataset's truth is an independent
implementation of the data-generating process the tool is checked against. Not part of the
installed ``mmm`` package; run from the repository (``python -m mmmsim.sample``).
"""
