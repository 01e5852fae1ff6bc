"""``python -m saring``: the same as the ``saring`` command."""

from saring.cli import main

main()
