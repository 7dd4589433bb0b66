"""Wire shapes of the LDAP routes, with Open WebUI's field names."""

from __future__ import annotations

from pydantic import BaseModel, Field

from owlet.core.validation import CleanText, Form


class LdapForm(BaseModel):
    """`{user, password}`. Deliberately not a `Form`: a NUL in the password must be the
    sign-in's own 400 (advisory GHSA-2r4p-jpmg-48f4), not a validation 422."""

    user: str = Field(max_length=1024)
    password: str = Field(max_length=1024)


class LdapConfigForm(Form):
    enable_ldap: bool | None = None


class LdapConfigResponse(BaseModel):
    ENABLE_LDAP: bool


class LdapServerConfig(Form):
    """`/auths/admin/config/ldap/server`: the directory and how its entries map to users."""

    label: CleanText = Field(max_length=255)
    host: CleanText = Field(max_length=1024)
    port: int | None = Field(default=None, ge=1, le=65535)
    attribute_for_mail: CleanText = Field(default="mail", max_length=255)
    # stored only: an entry without a mail attribute is refused, not given user@domain
    default_email_domain: CleanText = Field(default="", max_length=255)
    attribute_for_username: CleanText = Field(default="uid", max_length=255)
    app_dn: CleanText = Field(max_length=4096)
    app_dn_password: CleanText = Field(max_length=4096)
    search_base: CleanText = Field(max_length=4096)
    search_filters: CleanText = Field(default="", max_length=4096)
    use_tls: bool = True
    certificate_path: CleanText | None = Field(default=None, max_length=4096)
    validate_cert: bool = True
    ciphers: CleanText | None = Field(default="ALL", max_length=4096)
    enable_group_management: bool = False
    enable_group_creation: bool = False
    attribute_for_groups: CleanText = Field(default="memberOf", max_length=255)


REQUIRED_SERVER_FIELDS = ("label", "host", "app_dn", "app_dn_password", "search_base")

# LdapServerConfig field -> config key
SERVER_CONFIG_KEYS: dict[str, str] = {
    "label": "ldap.server.label",
    "host": "ldap.server.host",
    "port": "ldap.server.port",
    "attribute_for_mail": "ldap.server.attribute_for_mail",
    "default_email_domain": "ldap.server.default_email_domain",
    "attribute_for_username": "ldap.server.attribute_for_username",
    "app_dn": "ldap.server.app_dn",
    "app_dn_password": "ldap.server.app_password",
    "search_base": "ldap.server.search_base",
    "search_filters": "ldap.server.search_filters",
    "use_tls": "ldap.server.use_tls",
    "certificate_path": "ldap.server.ca_cert_file",
    "validate_cert": "ldap.server.validate_cert",
    "ciphers": "ldap.server.ciphers",
    "enable_group_management": "ldap.server.enable_group_management",
    "enable_group_creation": "ldap.server.enable_group_creation",
    "attribute_for_groups": "ldap.server.attribute_for_groups",
}
