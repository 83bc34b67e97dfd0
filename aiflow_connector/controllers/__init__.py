from . import oauth2
from . import task_center
from . import workflow_webhooks
