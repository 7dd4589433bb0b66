"""owlet: a fast, self-hosted AI platform server that speaks the Open WebUI HTTP API."""

__version__ = "0.1.0"
