from . import aiflow_full_resync
from . import aiflow_outbox_retry_dead
