"""`python -m engine` runs the `regles` command line."""

from engine.cli.main import main

raise SystemExit(main())
