"""`GET /reports/{key}?expires=…&signature=…`: a report's file, by its signed URL.

The signed URL is the credential (it is handed out by `Report.files` to members who may
read analytics), so the route needs no session. Answers: 200 with the file as an
attachment; 403 for a URL that is not genuine; 410 for one that expired; 404 when the
report or file is gone. Errors answer JSON `{"errors": [{field, code, message}]}`.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.analytics import reports as service
from domain.errors import DomainError, ErrorCode

logger = logging.getLogger(__name__)

_STATUS = {ErrorCode.TOKEN_INVALID: 403, ErrorCode.TOKEN_EXPIRED: 410, ErrorCode.NOT_FOUND: 404}


def _error(field: str | None, code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": field, "code": code, "message": message}]},
        status_code=status,
        headers={"cache-control": "no-store"},
    )


async def report_get(request: Request) -> Response:
    expires = request.query_params.get("expires", "")
    try:
        served = await service.served_file(
            key=request.path_params["key"],
            expires=expires,
            signature=request.query_params.get("signature", ""),
        )
    except DomainError as error:
        problem = error.problems[0]
        return _error(
            problem.field, problem.code.value, problem.message, _STATUS.get(problem.code, 400)
        )
    except Exception:  # storage or database trouble: say so, never a 500 with details
        logger.exception("serving a report file failed")
        return _error(None, "UNAVAILABLE", "The file cannot be served now; retry later.", 503)
    return StreamingResponse(
        served.chunks,
        media_type=served.content_type,
        headers={
            "content-disposition": (
                f'attachment; filename="{served.file_name}"; '
                f"filename*=UTF-8''{quote(served.file_name)}"
            ),
            "cache-control": f"private, max-age={max(0, int(expires) - int(time.time()))}",
            "x-content-type-options": "nosniff",
        },
    )
