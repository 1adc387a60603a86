"""``python -m geo``: the ``geo`` command, for environments where the console script is not on the PATH."""

from geo.cli import main

main()
