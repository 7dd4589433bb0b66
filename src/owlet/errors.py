"""AppError tree and the handlers that render every error as `{"detail": ...}`."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from owlet.db.retry import is_busy

log = logging.getLogger("owlet.errors")


class Messages:
    """The `detail` strings clients of Open WebUI already know."""

    DEFAULT = "Something went wrong :/"
    UNAUTHORIZED = "401 Unauthorized"
    NOT_AUTHENTICATED = "Not authenticated"
    ACCESS_PROHIBITED = (
        "You do not have permission to access this resource. "
        "Please contact your administrator for assistance."
    )
    ACTION_PROHIBITED = "The requested action has been restricted as a security measure."
    INVALID_TOKEN = "Your session has expired or the token is invalid. Please sign in again."
    INVALID_CRED = (
        "The email or password provided is incorrect. "
        "Please check for typos and try logging in again."
    )
    LDAP_DISABLED = "LDAP authentication is not enabled"
    INVALID_AUTH_REQUEST = "Invalid authentication request."
    HUMAN_SESSION_REQUIRED = "A human session is required."
    LDAP_FAILED = "LDAP authentication failed."
    LDAP_UNREACHABLE = "The LDAP server could not be reached. Please try again later."
    INVALID_TRUSTED_HEADER = (
        "Your provider has not provided a trusted header. "
        "Please contact your administrator for assistance."
    )
    USER_MISMATCH = "User mismatch. Please sign in again."
    EXISTING_USERS = (
        "You can't turn off authentication because there are existing users. "
        "If you want to disable WEBUI_AUTH, make sure your web interface doesn't have any "
        "existing users and is a fresh installation."
    )
    INCORRECT_PASSWORD = "The password provided is incorrect. Please check for typos and try again."
    EMAIL_TAKEN = (
        "Uh-oh! This email is already registered. "
        "Sign in with your existing account or choose another email to start anew."
    )
    INVALID_EMAIL_FORMAT = (
        "The email format you entered is invalid. Please double-check and make sure you're "
        "using a valid email address (e.g., yourname@example.com)."
    )
    PASSWORD_TOO_LONG = (
        "Uh-oh! The password you entered is too long. "
        "Please make sure your password is less than 72 bytes long."
    )
    INVALID_PASSWORD = "The password does not meet the required validation criteria."
    NOT_FOUND = "We could not find what you're looking for :/"
    USER_NOT_FOUND = NOT_FOUND
    API_KEY_NOT_FOUND = (
        "Oops! It looks like there's a hiccup. The API key is missing. "
        "Please make sure to provide a valid API key to access this feature."
    )
    API_KEY_NOT_ALLOWED = "Use of API key is not enabled in the environment."
    API_KEY_CREATION_NOT_ALLOWED = "API key creation is not allowed in the environment."
    RATE_LIMIT_EXCEEDED = "API rate limit exceeded"
    INTERNAL = "Internal Server Error"
    MODEL_NOT_FOUND = "Model not found"
    BUSY = "The server is busy right now; please retry shortly."
    INVALID_INPUT = "The request contains a value the server cannot store."
    TOKEN_REVOKED = "Invalid token"
    INVALID_URL = "The URL you provided is invalid. Please double-check and try again."
    CONFLICT = "The request conflicts with the current state of the resource."


class AppError(Exception):
    """An error a client can cause; rendered as `{"detail": detail}` with `status`."""

    status: int = 400
    default_detail: Any = Messages.DEFAULT

    def __init__(
        self,
        detail: Any = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = self.default_detail if detail is None else detail
        self.headers = headers
        self.extra = extra or {}  # more top-level keys for the body, e.g. an upstream `error`
        super().__init__(str(self.detail))


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    """Missing or invalid credentials; the stale `token` cookie is cleared."""

    status = 401
    default_detail = Messages.UNAUTHORIZED


class Forbidden(AppError):
    status = 403
    default_detail = Messages.ACCESS_PROHIBITED


class NotFound(AppError):
    status = 404
    default_detail = Messages.NOT_FOUND


class Conflict(AppError):
    status = 409
    default_detail = Messages.CONFLICT


class PayloadTooLarge(AppError):
    status = 413


class TooManyRequests(AppError):
    status = 429
    default_detail = Messages.RATE_LIMIT_EXCEEDED


class ServiceUnavailable(AppError):
    status = 503


SESSION_COOKIES = ("token", "oauth_id_token", "oauth_session_id")


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def install_error_handlers(app: FastAPI) -> None:
    """Render client-caused failures as `{"detail": ...}` (500s: core.middleware)."""

    async def app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        body = {**exc.extra, "detail": exc.detail}
        response = JSONResponse(body, status_code=exc.status, headers=exc.headers)
        if isinstance(exc, Unauthorized):
            for cookie in SESSION_COOKIES:
                if cookie in request.cookies:
                    response.delete_cookie(cookie)
        return response

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/api/v1/auths/"):
            # Never echo a body that may hold a password back to the client (or a log).
            return JSONResponse({"detail": Messages.INVALID_AUTH_REQUEST}, status_code=422)
        errors = [
            {k: v for k, v in err.items() if k in ("type", "loc", "msg", "input", "ctx")}
            for err in exc.errors()
        ]
        return JSONResponse({"detail": _jsonable(errors)}, status_code=422)

    async def integrity_error(request: Request, exc: Exception) -> JSONResponse:
        log.warning("integrity error (request %s): %s", _request_id(request), exc)
        return JSONResponse({"detail": Messages.CONFLICT}, status_code=409)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)

    async def data_error(request: Request, exc: Exception) -> JSONResponse:
        # Backstop: validation should have caught it; the database refused a value.
        log.warning("data error (request %s): %s", _request_id(request), type(exc).__name__)
        return JSONResponse({"detail": Messages.INVALID_INPUT}, status_code=400)

    async def pool_timeout(request: Request, exc: Exception) -> JSONResponse:
        # Every database connection stayed busy for DATABASE_POOL_TIMEOUT: overload, not a bug.
        log.warning("database pool exhausted (request %s)", _request_id(request))
        return JSONResponse(
            {"detail": Messages.BUSY}, status_code=503, headers={"Retry-After": "1"}
        )

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        # SQLite's "database is locked" after busy_timeout, a PostgreSQL deadlock or lock
        # timeout: contention, so the client may retry. Anything else is a real failure.
        if is_busy(exc):
            text = str(getattr(exc, "orig", exc))
            log.warning("database busy (request %s): %s", _request_id(request), text[:200])
            return JSONResponse(
                {"detail": Messages.BUSY}, status_code=503, headers={"Retry-After": "1"}
            )
        raise exc

    async def stale_data(request: Request, exc: Exception) -> JSONResponse:
        # Backstop: a row this request read was changed or deleted by a concurrent one before
        # its own update landed (writes that depend on a read lock it first: db/locks.py).
        log.warning("row changed concurrently (request %s): %s", _request_id(request), exc)
        return JSONResponse({"detail": Messages.CONFLICT}, status_code=409)

    app.add_exception_handler(IntegrityError, integrity_error)
    app.add_exception_handler(StaleDataError, stale_data)
    app.add_exception_handler(PoolTimeout, pool_timeout)
    app.add_exception_handler(DataError, data_error)
    app.add_exception_handler(DBAPIError, database_error)  # the more specific ones win


MAX_ECHO_CHARS = 1000


def _jsonable(value: Any) -> Any:
    """Validation errors may carry exceptions or bytes in `ctx`/`input`; make them JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str):
        if len(value) > MAX_ECHO_CHARS:
            value = value[:MAX_ECHO_CHARS] + "…"
        # A lone surrogate cannot be encoded as UTF-8; echo a replacement character instead.
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
