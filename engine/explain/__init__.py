"""Stage 5, results + trace → French text: the detailed explanation (`detail`), the short summary
(`summary`), why a condition failed and by how much (`whynot`), and the HTML tree (`html`).
"""
