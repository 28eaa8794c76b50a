"""Stage 2, surface tree → checked program: name resolution, types, grids (`grids`), whole-program
checks (`program`), the dependency graph (`graph`), amendments and loading (`loader`, `cache`). Its
output, the checked `model`, is what every later stage reads.
"""
