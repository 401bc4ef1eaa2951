package dev.bollard.auth;

/**
 * What a management API route requires of its caller, about the route's target (a user, organization, namespace or
 * repository name taken from the path). Superusers have every permission.
 */
public enum Permission {
    /** Anyone, with or without credentials (what is answered may still depend on who asks). */
    PUBLIC,
    /** Any caller who proved who they are: a user or a robot. */
    AUTHENTICATED,
    /** A user (robots and anonymous callers are refused). */
    USER,
    /** The user the target names. */
    SELF,
    /** Superusers only. */
    SUPERUSER,
    /** A member (any role) of the organization the target names. */
    ORG_MEMBER,
    /** An owner or admin of the organization, or a member of one of its teams with the role admin. */
    ORG_ADMIN,
    /** The user the target names, or an administrator of the organization it names: manages its robots. */
    NAMESPACE_ADMIN,
    /** May create the target repository in its namespace. */
    REPO_CREATE,
    /** May read (pull) the target repository. */
    REPO_READ,
    /** May write (push, delete) the target repository. */
    REPO_WRITE,
    /** May administer the target repository: visibility, permissions, deletion. */
    REPO_ADMIN
}
