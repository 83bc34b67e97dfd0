from . import aiflow_code_mixin
from . import hr_department
from . import hr_employee
