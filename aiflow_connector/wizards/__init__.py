from . import aiflow_full_resync
