"""Form bodies for the fakes without python-multipart (not a Kelola dependency): urlencoded
bodies through urllib, multipart bodies through the standard library's email parser."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from starlette.requests import Request


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str
    content: bytes


async def read_form(request: Request) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """(fields, files) of a form POST; files are the parts that carry a filename."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode(), keep_blank_values=True)), {}
    if not content_type.startswith("multipart/form-data"):
        return {}, {}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = UploadedFile(filename, part.get_content_type(), payload)
        else:
            fields[name] = payload.decode()
    return fields, files
