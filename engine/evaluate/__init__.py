"""Stage 4, checked program + facts → results and trace.

`runtime` (the value operations), `reference` (the interpreter: the oracle), `generator` with
`analysis`, `emitter`, `tables` and `recorder` (one code generator, parameterised by what it
records), `compiled` and `codecache` (generated code run, and cached beside the program),
`backend` (one backend per program: what the API, batch and letters call), `trace` and `sites`
(the trace events).
"""
