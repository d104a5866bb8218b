"""Named credentials: SNMP v2c/v3 and SSH. Secret fields hold references, never values."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from netwarden.inventory.fields import SecretRef, SnmpVersion
from netwarden.inventory.strict import Strict, exactly_one, rule_error


class SnmpAuth(Strict):
    protocol: Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"]
    secret: SecretRef


class SnmpPriv(Strict):
    protocol: Literal["des", "aes", "aes192", "aes256", "aes192c", "aes256c"]
    secret: SecretRef


class SnmpCredential(Strict):
    """SNMP v2c (community) or v3 (USM user, optional auth and priv)."""

    version: SnmpVersion
    community: SecretRef | None = None
    user: str | None = Field(default=None, min_length=1)
    auth: SnmpAuth | None = None
    priv: SnmpPriv | None = None

    @model_validator(mode="after")
    def _fields_of_version(self) -> Self:
        if self.version == "2c":
            for name in ("user", "auth", "priv"):
                if getattr(self, name) is not None:
                    raise rule_error("is only for version 3", name)
            if self.community is None:
                raise rule_error("is required for version 2c", "community")
            return self
        if self.community is not None:
            raise rule_error("is only for version 2c", "community")
        if self.user is None:
            raise rule_error("is required for version 3", "user")
        if self.priv is not None and self.auth is None:
            raise rule_error("is required when 'priv' is set", "auth")
        return self


class SshCredential(Strict):
    """SSH login: a password and/or a private key (file reference), optional enable secret."""

    username: str = Field(min_length=1)
    password: SecretRef | None = None
    key: SecretRef | None = None
    passphrase: SecretRef | None = None
    enable_secret: SecretRef | None = None

    @model_validator(mode="after")
    def _can_log_in(self) -> Self:
        if self.password is None and self.key is None:
            raise rule_error("needs 'password' or 'key'")
        if self.passphrase is not None and self.key is None:
            raise rule_error("is only used with 'key'", "passphrase")
        return self


class Credential(Strict):
    """A named credential: exactly one of snmp or ssh."""

    snmp: SnmpCredential | None = None
    ssh: SshCredential | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        exactly_one(self, ("snmp", "ssh"), "a credential")
        return self

    @property
    def kind(self) -> Literal["snmp", "ssh"]:
        return "snmp" if self.snmp is not None else "ssh"
