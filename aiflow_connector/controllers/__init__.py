
from . import oauth2
