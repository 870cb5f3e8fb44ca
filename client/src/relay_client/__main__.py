"""`python -m relay_client` is the `relay` command."""

from relay_client.cli import main

main(prog_name="relay")
