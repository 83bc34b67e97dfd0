from . import aiflow_code_mixin
from . import hr_department
from . import hr_employee
from . import aiflow_connection
from . import res_config_settings
