"""Stage 3, a case's facts: validation and coercion against the program's declarations (`facts`,
`fastfacts`) and the JSON Schema of a program's facts (`jsonschema`).
"""
