from . import test_tier_validation_orders
from . import test_tier_validation_delivery
from . import test_i18n
