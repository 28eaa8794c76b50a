"""Stage 8, the command line: the parser and the shared option spellings (`main`), one module per
subcommand (`commands`).
"""
