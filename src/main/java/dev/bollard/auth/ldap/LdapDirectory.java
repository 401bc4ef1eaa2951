package dev.bollard.auth.ldap;

import com.unboundid.ldap.sdk.BindRequest;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.FailoverServerSet;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.OperationType;
import com.unboundid.ldap.sdk.PostConnectProcessor;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.ServerSet;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.SingleServerSet;
import com.unboundid.ldap.sdk.StartTLSPostConnectProcessor;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.PEMFileTrustManager;
import com.unboundid.util.ssl.SSLUtil;
import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.IdentitySource;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import java.security.GeneralSecurityException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.SocketFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An LDAP / Active Directory directory as an identity source: a user is found by a search (as the bind account, on
 * a pooled connection), then their password is checked by binding as them; their e-mail and user name come from the
 * entry, whether they are a superuser from the superuser filter or the admin group, and the groups they are in from
 * the groups bound teams follow ({@code groups}), nested groups followed recursively (any server) or by Active
 * Directory's {@code LDAP_MATCHING_RULE_IN_CHAIN}. A server that does not answer (or refuses the bind account) makes
 * the directory {@link IdentitySource.Unavailable}, with the URL and the cause; the bind password is never logged.
 */
public final class LdapDirectory implements IdentitySource, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LdapDirectory.class);
    /** Active Directory's matching rule that follows nested groups on the server. */
    static final String IN_CHAIN = "1.2.840.113556.1.4.1941";
    /** Groups read while expanding one group at most: bounds a cycle or a runaway nesting. */
    private static final int MAX_GROUPS = 10_000;

    private final BollardConfig.Ldap config;
    private final Supplier<List<DirectoryTeams.Group>> groups;
    private final LDAPConnectionPool pool;
    private final String servers;

    /** Connects lazily: a directory down at start does not stop the registry (local accounts still sign in). */
    public LdapDirectory(BollardConfig.Ldap config, Supplier<List<DirectoryTeams.Group>> groups) {
        this.config = config;
        this.groups = groups;
        this.servers = String.join(", ", config.urls());
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
        options.setResponseTimeoutMillis(config.responseTimeout().toMillis());
        options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
        try {
            SSLUtil ssl = new SSLUtil(config.caFile().toString().isEmpty() ? JVMDefaultTrustManager.getInstance()
                    : new PEMFileTrustManager(config.caFile().toFile()));
            List<ServerSet> sets = new ArrayList<>();
            for (String url : config.urls()) {
                LDAPURL u = new LDAPURL(url);
                SocketFactory sockets = u.getScheme().equalsIgnoreCase("ldaps") ? ssl.createSSLSocketFactory()
                        : SocketFactory.getDefault();
                sets.add(new SingleServerSet(u.getHost(), u.getPort(), sockets, options));
            }
            ServerSet serverSet = sets.size() == 1 ? sets.get(0) : new FailoverServerSet(sets.toArray(ServerSet[]::new));
            PostConnectProcessor startTls = config.startTls()
                    ? new StartTLSPostConnectProcessor(ssl.createSSLContext()) : null;
            BindRequest bind = config.bindDn().isEmpty() ? null
                    : new SimpleBindRequest(config.bindDn(), config.bindPassword());
            this.pool = new LDAPConnectionPool(serverSet, bind, 0, config.poolSize(), startTls, false);
            pool.setRetryFailedOperationsDueToInvalidConnections(EnumSet.allOf(OperationType.class));
            pool.setMaxWaitTimeMillis(config.responseTimeout().toMillis());
            pool.setConnectionPoolName("bollard-ldap");
        } catch (LDAPException | GeneralSecurityException e) {
            throw new ConfigException("auth.ldap: cannot set up the connections to " + servers + ": " + e.getMessage());
        }
        LOG.info("LDAP directory {}: users under {} found by {}{}", servers, config.userBase(), config.userFilter(),
                config.startTls() ? " (StartTLS)" : "");
    }

    @Override
    public String name() {
        return "ldap";
    }

    @Override
    public Optional<Identity> authenticate(String username, String password) {
        if (username.isEmpty() || password.isEmpty()) {
            return Optional.empty(); // an empty password would be an anonymous bind, which succeeds
        }
        SearchResultEntry entry = findUser(username);
        if (entry == null) {
            return Optional.empty();
        }
        try {
            pool.bindAndRevertAuthentication(new SimpleBindRequest(entry.getDN(), password));
        } catch (LDAPException e) {
            if (e.getResultCode().equals(ResultCode.INVALID_CREDENTIALS)) {
                return Optional.empty();
            }
            throw unavailable("binding as " + entry.getDN(), e);
        }
        return Optional.of(identity(entry, expandAll()));
    }

    /**
     * The directory users {@code usernames} as the directory holds them now (the periodic sync): empty for a user it
     * no longer finds.
     */
    public Map<String, Optional<Identity>> lookUp(List<String> usernames) {
        Map<String, Members> expanded = expandAll();
        Map<String, Optional<Identity>> found = new LinkedHashMap<>();
        for (String name : usernames) {
            SearchResultEntry entry = findUser(name);
            found.put(name, entry == null ? Optional.empty() : Optional.of(identity(entry, expanded)));
        }
        return found;
    }

    /** True when the directory decides who is a superuser (the sync then also takes the flag away). */
    public boolean decidesSuperusers() {
        return config.decidesSuperusers();
    }

    /** How often the bound teams are synced. */
    public java.time.Duration syncInterval() {
        return config.syncInterval();
    }

    private Identity identity(SearchResultEntry entry, Map<String, Members> expanded) {
        String uid = entry.getAttributeValue(config.uidAttribute());
        String name = uid == null ? "" : uid;
        DN parsed = dn(entry.getDN());
        DN dn = parsed == null ? DN.NULL_DN : parsed;
        Set<String> in = new LinkedHashSet<>();
        for (DirectoryTeams.Group g : groups.get()) {
            Members m = expanded.get(g.dn());
            if (m != null && m.contains(dn, name)) {
                in.add(g.dn());
            }
        }
        Boolean admin = null;
        if (config.decidesSuperusers()) {
            Members admins = config.adminGroup().isEmpty() ? null : expanded.get(config.adminGroup());
            admin = (admins != null && admins.contains(dn, name)) || matchesSuperuserFilter(entry.getDN());
        }
        return new Identity(name(), name, entry.getAttributeValue(config.mailAttribute()), in, admin, entry.getDN());
    }

    /** The one user entry the user filter finds; null for none, or for several (refused, and logged). */
    private @Nullable SearchResultEntry findUser(String username) {
        Filter filter;
        try {
            filter = Filter.create(config.userFilter().replace("{0}", Filter.encodeValue(username)));
        } catch (LDAPException e) {
            throw new Unavailable("auth.ldap.user-filter is not a valid LDAP filter: " + e.getMessage(), e);
        }
        SearchRequest search = new SearchRequest(config.userBase(), SearchScope.SUB, filter, config.uidAttribute(),
                config.mailAttribute());
        search.setSizeLimit(2);
        SearchResult result;
        try {
            result = pool.search(search);
        } catch (LDAPException e) {
            if (e.getResultCode().equals(ResultCode.SIZE_LIMIT_EXCEEDED)) {
                LOG.warn("LDAP: more than one entry under {} matches {}; refusing the login", config.userBase(), filter);
                return null;
            }
            throw unavailable("searching " + config.userBase() + " for " + filter, e);
        }
        if (result.getEntryCount() > 1) {
            LOG.warn("LDAP: more than one entry under {} matches {}; refusing the login", config.userBase(), filter);
            return null;
        }
        return result.getEntryCount() == 1 ? result.getSearchEntries().get(0) : null;
    }

    private boolean matchesSuperuserFilter(String userDn) {
        if (config.superuserFilter().isEmpty()) {
            return false;
        }
        try {
            return pool.search(new SearchRequest(userDn, SearchScope.BASE, Filter.create(config.superuserFilter()), "1.1"))
                    .getEntryCount() > 0;
        } catch (LDAPException e) {
            throw unavailable("checking auth.ldap.superuser-filter for " + userDn, e);
        }
    }

    /** Members of a group: the DNs of its member entries (users and nested groups alike) and the user names. */
    private record Members(Set<DN> dns, Set<String> uids) {
        boolean contains(DN user, String uid) {
            return dns.contains(user) || uids.contains(uid.toLowerCase(Locale.ROOT));
        }
    }

    /** Every group of interest (bound teams' and the admin group) expanded, by its DN as configured. */
    private Map<String, Members> expandAll() {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (DirectoryTeams.Group g : groups.get()) {
            wanted.put(g.dn(), g.memberAttribute());
        }
        if (!config.adminGroup().isEmpty()) {
            wanted.put(config.adminGroup(), config.groupMemberAttribute());
        }
        Map<String, Members> expanded = new LinkedHashMap<>();
        wanted.forEach((dn, attribute) -> expanded.put(dn, expand(dn, attribute)));
        return expanded;
    }

    private Members expand(String groupDn, String attribute) {
        if (config.nestedGroups().equals("in-chain") && !attribute.equals("memberUid")) {
            return inChain(groupDn);
        }
        Set<DN> dns = new HashSet<>();
        Set<String> uids = new HashSet<>();
        Set<DN> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.push(groupDn);
        while (!todo.isEmpty() && seen.size() < MAX_GROUPS) {
            String next = todo.pop();
            DN dn = dn(next);
            if (dn == null || !seen.add(dn)) {
                continue; // malformed, or a cycle
            }
            SearchResultEntry group;
            try {
                group = pool.getEntry(next, attribute);
            } catch (LDAPException e) {
                if (e.getResultCode().equals(ResultCode.NO_SUCH_OBJECT)) {
                    continue; // a dangling member, or a group deleted
                }
                throw unavailable("reading group " + next, e);
            }
            if (group == null) {
                continue;
            }
            String[] values = group.getAttributeValues(attribute);
            for (String value : values == null ? new String[0] : values) {
                if (attribute.equals("memberUid")) {
                    uids.add(value.toLowerCase(Locale.ROOT));
                    continue;
                }
                // uniqueMember may carry an optional UID after '#': "cn=x,dc=y#'0101'B".
                int hash = attribute.equals("uniqueMember") ? value.lastIndexOf("#'") : -1;
                String member = hash > 0 ? value.substring(0, hash) : value;
                DN memberDn = dn(member);
                if (memberDn != null) {
                    dns.add(memberDn);
                    todo.push(member); // a nested group when it lists members itself
                }
            }
        }
        return new Members(dns, uids);
    }

    /** Active Directory follows the nesting itself: every entry under the user base in the group's chain. */
    private Members inChain(String groupDn) {
        try {
            SearchResult r = pool.search(new SearchRequest(config.userBase(), SearchScope.SUB,
                    Filter.createExtensibleMatchFilter("memberOf", IN_CHAIN, false, groupDn), "1.1"));
            Set<DN> dns = new HashSet<>();
            r.getSearchEntries().forEach(e -> {
                DN d = dn(e.getDN());
                if (d != null) {
                    dns.add(d);
                }
            });
            return new Members(dns, Set.of());
        } catch (LDAPException e) {
            throw unavailable("searching the members of " + groupDn + " (in chain)", e);
        }
    }

    private static @Nullable DN dn(String text) {
        try {
            return new DN(text);
        } catch (LDAPException e) {
            return null;
        }
    }

    private Unavailable unavailable(String doing, LDAPException e) {
        return new Unavailable("LDAP directory " + servers + " failed " + doing + ": " + e.getResultCode()
                + (e.getDiagnosticMessage() == null ? "" : " (" + e.getDiagnosticMessage() + ")")
                + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
    }

    @Override
    public void close() {
        pool.close();
    }
}
