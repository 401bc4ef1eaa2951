-- Vulnerability pull policies (docs/scanning.md, "Pull policy"). A policy belongs to an organization (scope_kind
-- 'org', scope: its name) or to a repository (scope_kind 'repository', scope: its full name); a repository's policy
-- replaces its organization's. Names, not ids: a policy may be set on a repository before its first push, and the
-- pull path looks it up by the name it has at hand. severity: the lowest severity that blocks ('unknown' blocks every
-- fixable finding, 'low', 'medium', 'high', 'critical'); only findings with a fixed version block. block_unscanned:
-- also refuse images whose scan is not done (queued, indexing, failed, or never scanned).
CREATE TABLE scan_policy (
    scope_kind      VARCHAR(16) NOT NULL,
    scope           VARCHAR(255) ${byte_order} NOT NULL,
    severity        VARCHAR(16) NOT NULL,
    block_unscanned BOOLEAN NOT NULL,
    updated_by      VARCHAR(255) NOT NULL,
    updated_at      BIGINT NOT NULL,
    CONSTRAINT scan_policy_pk PRIMARY KEY (scope_kind, scope),
    CONSTRAINT scan_policy_kind_ck CHECK (scope_kind IN ('org', 'repository')),
    CONSTRAINT scan_policy_severity_ck CHECK (severity IN ('unknown', 'low', 'medium', 'high', 'critical'))
);

-- The allow-list of a scope's policy: a vulnerability id (a CVE id, or an advisory id such as DSA-5514-1) that does not
-- block until expires_at (epoch milliseconds; an entry past it no longer allows). The entries of the organization's
-- and of the repository's scope both apply to a repository's pulls, whichever policy decides.
CREATE TABLE scan_policy_allow (
    scope_kind VARCHAR(16) NOT NULL,
    scope      VARCHAR(255) ${byte_order} NOT NULL,
    vuln_id    VARCHAR(255) NOT NULL,
    expires_at BIGINT NOT NULL,
    reason     VARCHAR(1024),
    created_by VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT scan_policy_allow_pk PRIMARY KEY (scope_kind, scope, vuln_id),
    CONSTRAINT scan_policy_allow_kind_ck CHECK (scope_kind IN ('org', 'repository'))
);

-- Who may pull whatever the policy says (signing tools, scanners, break-glass robots): a user name or a robot name
-- (owner+name), per organization or per repository, granted explicitly by an administrator.
CREATE TABLE scan_policy_bypass (
    scope_kind VARCHAR(16) NOT NULL,
    scope      VARCHAR(255) ${byte_order} NOT NULL,
    principal  VARCHAR(255) NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT scan_policy_bypass_pk PRIMARY KEY (scope_kind, scope, principal),
    CONSTRAINT scan_policy_bypass_kind_ck CHECK (scope_kind IN ('org', 'repository'))
);
