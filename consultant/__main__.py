"""Allow ``python -m consultant`` as another name for the ``caseconsultant`` command."""

from consultant.cli import main

main()
