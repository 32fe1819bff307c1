"""The domain layer: business rules over the repositories, free of HTTP.

spec ← forms ← domain ← web; storage ← domain; nothing imports web
(checked by import-linter, see ``pyproject.toml``).
"""
