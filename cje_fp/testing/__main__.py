"""``python -m cje_fp.testing``: run the fake server (see ``cje_fp.testing._server``)."""

import sys

from cje_fp.testing._server import main

sys.exit(main())
