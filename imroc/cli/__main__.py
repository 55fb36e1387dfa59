"""`python -m imroc.cli` runs the `imroc` command."""

from imroc.cli.app import app

app()
