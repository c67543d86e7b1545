"""Decisions: what the fitted model says about spend it has not seen.

``response`` (each channel's response to a spend plan, for every draw at once), ``curves``
(response curves and marginal ROAS/CPA written with every fit), ``allocate`` (the budget
optimizer behind ``mmm optimize``), ``fitted`` (all of it for a fresh fit).
"""
