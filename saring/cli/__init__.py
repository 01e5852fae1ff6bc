"""CLI commands, one module per area; each registers on :data:`saring.cli.base.app`."""


def main() -> None:
    """Entry point of the ``saring`` console script (``saring.cli:main`` in pyproject.toml)."""
    from saring.cli.main import main as run

    run()
