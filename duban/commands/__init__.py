"""One module per `duban` subcommand; each exposes register(subparsers)."""
