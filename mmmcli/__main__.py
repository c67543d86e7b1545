"""``python -m mmmcli`` runs the ``mmm`` command line."""

from .cli import main

main()
