"""Persistence: SQLAlchemy 2.0 models, engine/session setup, migrations and queries.

No Telegram and no templates here: everything above depends on this package, not the reverse.
"""
