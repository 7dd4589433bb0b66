"""Image generation and editing: only the admin settings so far; owlet has no engine."""
