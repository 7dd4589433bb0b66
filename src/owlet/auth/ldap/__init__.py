"""Sign-in against an LDAP directory: `POST /api/v1/auths/ldap` and its admin config."""
