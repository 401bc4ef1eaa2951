package dev.bollard.http.api;

import dev.bollard.audit.AuditLog;
import dev.bollard.auth.Auth;
import dev.bollard.auth.Identities;
import dev.bollard.auth.oidc.OidcSignIn;
import dev.bollard.config.BollardConfig;
import dev.bollard.events.EventFeed;
import dev.bollard.events.Webhooks;
import dev.bollard.mirror.Mirrors;
import dev.bollard.proxy.ProxyOrganizations;
import dev.bollard.registry.Registry;
import dev.bollard.scan.results.ScanResults;
import org.jspecify.annotations.Nullable;

/**
 * What the endpoint classes work with: the domain's services, handed to each class's constructor. An endpoint class
 * that needs another service adds it here. {@code auth} is null when access control is off, {@code oidc} when it is or
 * no OIDC provider is configured.
 */
public record ApiServices(BollardConfig config, Identities identities, @Nullable Auth auth, Registry registry, AuditLog audit,
                          Webhooks webhooks, ProxyOrganizations proxies, Mirrors mirrors, EventFeed events, ScanResults scans,
                          @Nullable OidcSignIn oidc) {

    /** The identities administration, its changes recorded as made by the caller of {@code call}. */
    public Identities identitiesAs(ApiCall call) {
        return identities.as(call.actor());
    }
}
