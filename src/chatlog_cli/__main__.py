"""`python -m chatlog_cli` runs the command-line interface."""

from chatlog_cli.cli import main

main()
