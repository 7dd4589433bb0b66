"""Event webhooks: the event catalog and the admin's webhook list (delivery is not built yet)."""
