"""Admin-editable runtime config, persisted in the `config` table (env gives first values)."""
