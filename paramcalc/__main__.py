"""``python -m paramcalc``: the command line (see :mod:`paramcalc.cli`)."""

from paramcalc.cli import main

raise SystemExit(main())
