"""Stage 0, the language's vocabulary: its types and unit rules (`types`), its values (`values`), the
results of an evaluation and their absence markers (`results`), and how values are written in French
(`formatting`). Imports only `engine.base`.
"""
