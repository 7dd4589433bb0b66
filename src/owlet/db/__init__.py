"""Database engine, unit of work and migrations."""
