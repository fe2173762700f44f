"""Layer families, one module each; :mod:`paramcalc` re-exports every layer."""
