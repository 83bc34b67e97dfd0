from . import oauth2
