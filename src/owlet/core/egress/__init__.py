"""The egress guard: the one way owlet fetches a URL that a client supplied.

`Egress.fetch` / `fetch_text` for a request, `Egress.check` to vet a URL kept for later
(webhooks). Nothing else in owlet opens a connection to a client's URL (tests/core/egress).
"""

from owlet.core.egress.addresses import public
from owlet.core.egress.guard import Egress, Fetched
from owlet.core.egress.resolver import Resolver, SystemResolver
from owlet.core.egress.target import Target, origin, parse, redacted

__all__ = ["Egress", "Fetched", "Resolver", "SystemResolver", "Target", "origin", "parse",
           "public", "redacted"]  # fmt: skip
