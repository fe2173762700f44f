"""Renderers: each a pure function from a :class:`~paramcalc.report.Report` to ``str``."""
