"""Reporters' personal data: stored in full, shown masked unless the role may see it.

The masks follow what Chinese public-service systems print (张*, 138****5678,
ID number with only the first and last digits): enough for a caller to recognise
their own record, not enough to identify a stranger.
"""

from __future__ import annotations

from data import auth


def may_see_personal_data(role: str | None) -> bool:
    """The roles that handle the caller directly (data.auth's `ticket.personal_data`) see them in full."""
    return role in auth.PERMISSIONS["ticket.personal_data"]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    if len(number) <= 2:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 2) + number[-1]


def reporter_view(name: str | None, phone: str | None, id_number: str | None, role: str | None) -> dict:
    """The reporter as the given role may see them."""
    if may_see_personal_data(role):
        return {"name": name, "phone": phone, "id_number": id_number}
    return {"name": mask_name(name), "phone": mask_phone(phone), "id_number": mask_id_number(id_number)}
