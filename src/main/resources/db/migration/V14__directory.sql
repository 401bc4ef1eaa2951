-- Users from an LDAP / Active Directory directory, and teams bound to directory groups. Written once for H2 (in
-- PostgreSQL mode) and PostgreSQL alike.

-- Where a user signs in: 'local' (a password stored here) or 'ldap' (the directory checks it: no local password,
-- onboarded on the first successful login or linked to the local user of the same name). directory_dn is the user's
-- entry as last seen, email the directory's mail attribute.
ALTER TABLE account ADD COLUMN source VARCHAR(8) DEFAULT 'local' NOT NULL;
ALTER TABLE account ADD COLUMN directory_dn VARCHAR(1024);
ALTER TABLE account ADD COLUMN email VARCHAR(320);
ALTER TABLE account ADD CONSTRAINT account_source_ck CHECK (source IN ('local', 'ldap'));

-- A team whose members are the directory users in an LDAP group (nested groups followed): each login and the
-- periodic sync add and remove the team's directory users; local users and robots in the team are left alone.
-- member_attribute names the group attribute that lists its members: member and uniqueMember hold DNs (of users
-- and of nested groups), memberUid holds user names.
CREATE TABLE team_directory_group (
    team_id           BIGINT PRIMARY KEY REFERENCES team (id) ON DELETE CASCADE,
    group_dn          VARCHAR(1024) NOT NULL,
    member_attribute  VARCHAR(16) NOT NULL,
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT team_directory_group_attr_ck CHECK (member_attribute IN ('member', 'uniqueMember', 'memberUid'))
);
