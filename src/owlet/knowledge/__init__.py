"""Knowledge bases (`/api/v1/knowledge`)."""
