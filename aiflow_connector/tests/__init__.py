from . import test_settings
from . import test_org_sync
from . import test_outbox
from . import test_connection
from . import test_oauth2_protocol
from . import test_oauth2_flow
from . import test_oauth2_attacks
from . import test_oauth2_admin
