"""The one phone number aiflow gets for a person: ``mobile`` in user sync
(spec part 1 §2.2) and ``phoneNumber`` in the OAuth2 userinfo (spec part 2,
1.3) follow the same rule, so aiflow never sees two numbers for one person.

* an employee: the work mobile, else the work phone;
* a user without an employee (user sync never sends one, only SSO knows
  them): their contact's mobile, else its phone.
"""


def _first(*values):
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def employee_phone(mobile_phone, work_phone):
    """The phone of an employee (``""`` when they have none)."""
    return _first(mobile_phone, work_phone)


def contact_phone(mobile, phone):
    """The phone of a user without an employee, from their contact."""
    return _first(mobile, phone)
