"""Reading HTML form posts for routes that re-render with errors."""

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from imroc.deps import CSRF_FIELD


async def read_form(request: Request) -> FormData:
    """The posted form (already parsed once by the CSRF check, so this is free)."""
    return await request.form()


Form = Annotated[FormData, Depends(read_form)]


def fields(form: FormData, *names: str) -> dict[str, Any]:
    """Text fields by name, trimmed; missing ones are absent, blank ones are None."""
    out: dict[str, Any] = {}
    for name in names:
        if name == CSRF_FIELD or name not in form:
            continue
        value = form.get(name)
        if isinstance(value, str):
            value = value.strip()
            out[name] = value if value != "" else None
    return out


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    """The items of the error summary, each linking to its field."""
    return [{"text": msg, "href": f"#{name.split('.')[0].replace('_', '-')}"}
            for name, msg in errors.items()]
