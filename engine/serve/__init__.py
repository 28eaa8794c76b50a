"""Stage 8, `regles serve`: the HTTP API and its pages, beside the command line.
"""
