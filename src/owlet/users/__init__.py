"""Users: the `/api/v1/users` routes, profiles, settings and permissions."""
