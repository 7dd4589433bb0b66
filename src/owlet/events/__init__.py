"""Event webhooks: the event catalog, the admin's webhook list, and delivery of events to it."""
