"""Groups: membership and the permissions they grant (`/api/v1/groups`)."""
