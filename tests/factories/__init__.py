"""All test factories, one module per app, re-exported here: ``from tests.factories import ...``."""

from tests.factories.access import *  # noqa: F403
from tests.factories.affairs import *  # noqa: F403
from tests.factories.billing import *  # noqa: F403
from tests.factories.eldercare import *  # noqa: F403
from tests.factories.exchange import *  # noqa: F403
from tests.factories.parking import *  # noqa: F403
from tests.factories.residents import *  # noqa: F403
from tests.factories.tickets import *  # noqa: F403
from tests.factories.voting import *  # noqa: F403
