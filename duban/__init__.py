"""duban (督办): the application shell — config, importer, CLI, ledger and chart export."""

__version__ = "0.1.0"
