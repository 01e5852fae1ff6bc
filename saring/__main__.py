"""``python -m saring``: the same as the ``saring`` command."""

from saring.cli import main

if __name__ == "__main__":  # not again in extraction workers, which import this module
    main()
