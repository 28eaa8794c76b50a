"""Stage 1, rule text → surface tree: the Lark parser and its French syntax errors (`parser`), the
tree builder (`build`) into frozen `ast` nodes, the formatter (`fmt`, tree → canonical text) and the
token highlighter (`highlight`). Nothing is resolved here.
"""
