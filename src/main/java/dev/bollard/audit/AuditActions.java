package dev.bollard.audit;

/**
 * The names of audited actions: {@code <subject>.<verb>}. Code that records a new kind of action adds its name here,
 * so that the list of what the audit log may contain stays in one place (docs/auth.md mirrors it).
 */
public final class AuditActions {
    private AuditActions() {
    }

    public static final String LOGIN_SUCCESS = "login.success";
    public static final String LOGIN_FAILURE = "login.failure";
    public static final String TOKEN_ISSUED = "token.issued";
    /** A CLI began an OIDC device login (the person approves it at the provider; then login.success). */
    public static final String DEVICE_LOGIN_START = "device-login.start";

    public static final String PUSH = "push";
    public static final String PULL = "pull";
    public static final String TAG_CREATE = "tag.create";
    public static final String TAG_MOVE = "tag.move";
    public static final String TAG_DELETE = "tag.delete";
    public static final String MANIFEST_DELETE = "manifest.delete";
    public static final String BLOB_DELETE = "blob.delete";

    public static final String REPO_CREATE = "repository.create";
    public static final String REPO_DELETE = "repository.delete";
    public static final String REPO_VISIBILITY = "repository.visibility";
    public static final String REPO_DESCRIPTION = "repository.description";
    public static final String REPO_LABELS = "repository.labels";

    public static final String USER_CREATE = "user.create";
    public static final String USER_UPDATE = "user.update";
    public static final String USER_PASSWORD = "user.password";
    public static final String USER_DELETE = "user.delete";
    public static final String APP_TOKEN_CREATE = "app-token.create";
    public static final String APP_TOKEN_REVOKE = "app-token.revoke";

    public static final String ORG_CREATE = "org.create";
    public static final String ORG_DELETE = "org.delete";
    public static final String ORG_MEMBER_SET = "org.member.set";
    public static final String ORG_MEMBER_REMOVE = "org.member.remove";

    public static final String TEAM_CREATE = "team.create";
    public static final String TEAM_UPDATE = "team.update";
    public static final String TEAM_DELETE = "team.delete";
    public static final String TEAM_MEMBER_ADD = "team.member.add";
    public static final String TEAM_MEMBER_REMOVE = "team.member.remove";
    public static final String TEAM_GROUP_BIND = "team.group.bind";
    public static final String TEAM_GROUP_UNBIND = "team.group.unbind";

    public static final String ROBOT_CREATE = "robot.create";
    public static final String ROBOT_REGENERATE = "robot.regenerate";
    public static final String ROBOT_DELETE = "robot.delete";
    public static final String ROBOT_TRUST_ADD = "robot.trust.add";
    public static final String ROBOT_TRUST_REMOVE = "robot.trust.remove";
    public static final String ROBOT_CERTIFICATE_ADD = "robot.certificate.add";
    public static final String ROBOT_CERTIFICATE_REMOVE = "robot.certificate.remove";

    public static final String PERMISSION_SET = "permission.set";
    public static final String PERMISSION_REMOVE = "permission.remove";
    public static final String DEFAULT_PERMISSION_SET = "default-permission.set";
    public static final String DEFAULT_PERMISSION_REMOVE = "default-permission.remove";

    public static final String AUDIT_PRUNE = "audit.prune";

    // the image life cycle (docs/lifecycle.md)
    public static final String TAG_RESTORE = "tag.restore";
    public static final String IMMUTABLE_RULE_ADD = "immutable-tag-rule.add";
    public static final String IMMUTABLE_RULE_REMOVE = "immutable-tag-rule.remove";
    public static final String RETENTION_POLICY_SET = "retention-policy.set";
    public static final String RETENTION_POLICY_DELETE = "retention-policy.delete";
    public static final String QUOTA_SET = "quota.set";
    public static final String HISTORY_WINDOW_SET = "history-window.set";

    // webhooks (docs/events.md)
    public static final String WEBHOOK_CREATE = "webhook.create";
    public static final String WEBHOOK_UPDATE = "webhook.update";
    public static final String WEBHOOK_DELETE = "webhook.delete";
    public static final String WEBHOOK_REDELIVER = "webhook.redeliver";
    public static final String WEBHOOK_DISABLE = "webhook.disable";

    // proxy organizations (docs/proxy-and-mirroring.md)
    public static final String PROXY_SET = "proxy.set";
    public static final String PROXY_DELETE = "proxy.delete";
    /** The proxy cache evicted an image (expired, or the cache over its size). */
    public static final String PROXY_EVICT = "proxy.evict";

    // repository mirrors (docs/proxy-and-mirroring.md)
    public static final String MIRROR_SET = "mirror.set";
    public static final String MIRROR_DELETE = "mirror.delete";
    public static final String MIRROR_SYNC_REQUEST = "mirror.sync.request";
    public static final String MIRROR_SYNC_SUCCEEDED = "mirror.sync.succeeded";
    public static final String MIRROR_SYNC_FAILED = "mirror.sync.failed";
    // vulnerability scanning (docs/scanning.md)
    public static final String SCAN_REQUEST = "scan.request";
    /** A scan reached a final state (done, failed, unsupported); published as an event. */
    public static final String SCAN_FINISHED = "scan.finished";
    /** A re-match after new vulnerability data found what the last match had not (published as an event). */
    public static final String VULNERABILITY_FOUND = "vulnerability.found";
    // vulnerability pull policies (docs/scanning.md, "Pull policy")
    public static final String SCAN_POLICY_SET = "scan.policy.set";
    public static final String SCAN_POLICY_DELETE = "scan.policy.delete";
    public static final String SCAN_POLICY_ALLOW_ADD = "scan.policy.allow.add";
    public static final String SCAN_POLICY_ALLOW_REMOVE = "scan.policy.allow.remove";
    public static final String SCAN_POLICY_BYPASS_ADD = "scan.policy.bypass.add";
    public static final String SCAN_POLICY_BYPASS_REMOVE = "scan.policy.bypass.remove";
    // external scanners (docs/scanning.md, "External scanners")
    public static final String SCAN_ADAPTER_SET = "scan.adapter.set";
    public static final String SCAN_ADAPTER_DELETE = "scan.adapter.delete";
}
