"""All test factories, one module per app, re-exported here: ``from tests.factories import ...``."""

from tests.factories.residents import *  # noqa: F403
