"""The engines of `regles batch` and `regles diff`, in a module of its own that imports nothing: the
command line declares `--moteur` with them when `regles` starts, which must not import the batch's
modules (`engine.cli.commands.batch`)."""

ENGINES = ("auto", "python", "sql")
"""The engines of `regles batch` and `regles diff`, in the words of `--moteur`. `auto`, the default, is
`sql` wherever DuckDB evaluates the job faster and `python` elsewhere (a small CSV or JSON Lines file,
`--explain`, an input DuckDB does not read line by line, a construct the SQL generator does not
translate), silently: the warnings of a fall-back are for a user who asked for `sql`
(`engine.tools.batch`)."""
NO_DUCKDB = "le moteur SQL demande DuckDB, absent de cette installation : pip install duckdb"
"""The error of `--moteur sql` where DuckDB, a dependency, is not installed (`auto` then runs in Python)."""
