"""Stage 0, what every stage uses: where a text is (`source`), what went wrong (`diagnostics`),
look-alike names (`confusables`), the private file cache (`privatecache`), the files installed with
the package (`bundled`) and the version (`version`). Imports nothing else from `engine`.
"""
