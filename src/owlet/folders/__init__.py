"""Chat folders (`/api/v1/folders`, reference §4.3)."""
