from . import test_settings
from . import test_org_sync
from . import test_outbox
from . import test_connection
