from . import oauth2
from . import task_center
