"""CodeStar Connections / CodeConnections: the connections and the local GitHub mappings.

The handler (``codestar_connections``) serves the API; a pipeline's connection source and a
GitHub CodeBuild source read the same store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

PROVIDERS = {"Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged", "AzureDevOps"}
STATUSES = {"PENDING", "AVAILABLE", "ERROR"}


@dataclass
class Connection:
    arn: str
    name: str
    provider: str
    owner: str
    status: str = "PENDING"
    host_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {"ConnectionName": self.name, "ConnectionArn": self.arn, "ProviderType": self.provider,
               "OwnerAccountId": self.owner, "ConnectionStatus": self.status}
        if self.host_arn:
            out["HostArn"] = self.host_arn
        return out


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: dict[str, Connection] = {}
        self.github_repos: dict[str, str] = {}

    def clear(self) -> None:
        with self.lock:
            self.connections.clear()
            self.github_repos.clear()

    def get(self, arn: str) -> Connection | None:
        with self.lock:
            return self.connections.get(canonical(arn))

    def set_status(self, arn: str, status: str) -> dict[str, Any] | None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}")
        with self.lock:
            conn = self.connections.get(canonical(arn))
            if conn is None:
                return None
            conn.status = status
            return conn.to_dict()


STORE = Store()


def canonical(arn: str) -> str:
    """Both services name the same connections; keep one key per connection id."""
    return arn.replace(":codeconnections:", ":codestar-connections:")
