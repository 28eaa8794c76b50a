"""Stage 4, checked program + facts → results: the reference interpreter (`reference`), the value
operations (`runtime`), the code generator and its analysis (`compiler`, `analysis`), the trace
(`trace`, `sites`).
"""
