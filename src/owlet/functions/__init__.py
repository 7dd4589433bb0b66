"""Functions: admin-authored Python plugins (`/api/v1/functions`)."""
