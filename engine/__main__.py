"""`python -m engine` runs the `regles` command line."""

from engine.cli import main

raise SystemExit(main())
