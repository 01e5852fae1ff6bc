"""CLI commands, one module per area; each registers on :data:`saring.cli.app`."""
