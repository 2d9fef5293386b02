"""Alert tests share the webhook tests' partner receiver and endpoint factories."""

from tests.domain.webhooks.conftest import hooks, receiver  # noqa: F401
