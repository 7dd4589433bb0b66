"""Uploaded files: storage, text extraction and processing state (`/api/v1/files`)."""
