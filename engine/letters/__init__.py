"""Stage 6, an outcome → a letter to the doctor: issuance guards (`issuance`), the letter's context
(`context`), rendering to txt/HTML/PDF (`render`) in a sandbox (`sandbox`), the agent's review sheet
(`review_sheet`).
"""
