"""Shared building blocks imported by every domain; imports no domain itself."""
