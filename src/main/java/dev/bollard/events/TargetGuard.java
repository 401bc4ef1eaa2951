package dev.bollard.events;

import dev.bollard.error.BollardException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The SSRF guard: a webhook's URL must be {@code http(s)} and, unless the administrator allowed private targets
 * ({@code events.webhooks.allow-private-targets}), every address its host resolves to must be a public one — not
 * loopback, link-local (cloud metadata services live there), private (RFC 1918, unique-local IPv6), carrier-grade
 * NAT, unspecified or multicast. Checked when a webhook is created or changed and again before every delivery (a
 * name may resolve elsewhere later); deliveries never follow redirects, so a public target cannot bounce a request
 * inward. A name that resolves to a public address at the check and a private one at the connection (DNS rebinding
 * within the resolver's cache time) is not caught: docs/events.md says so.
 */
public record TargetGuard(boolean allowPrivate) {

    /** {@code url} as a target, or a refusal saying why not. */
    public URI check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw BollardException.invalid("the webhook URL '" + url + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
            throw BollardException.invalid("the webhook URL '" + url + "' must be an absolute http:// or https:// URL "
                    + "with a host");
        }
        if (uri.getRawUserInfo() != null) {
            throw BollardException.invalid("the webhook URL must not carry credentials; send them in a custom header");
        }
        if (uri.getRawFragment() != null) {
            throw BollardException.invalid("the webhook URL must not have a fragment (#...)");
        }
        if (!allowPrivate) {
            String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                    : uri.getHost();
            InetAddress[] addresses;
            try {
                addresses = InetAddress.getAllByName(host);
            } catch (UnknownHostException e) {
                throw BollardException.invalid("the webhook URL's host '" + host + "' does not resolve");
            }
            for (InetAddress a : addresses) {
                String why = privateKind(a);
                if (why != null) {
                    throw BollardException.invalid("the webhook URL's host '" + host + "' resolves to " + why
                            + " address " + a.getHostAddress() + "; such targets are refused unless the administrator "
                            + "sets events.webhooks.allow-private-targets");
                }
            }
        }
        return uri;
    }

    /** What kind of non-public address {@code a} is, or null for a public one. */
    static @org.jspecify.annotations.Nullable String privateKind(InetAddress a) {
        if (a.isLoopbackAddress()) {
            return "a loopback";
        }
        if (a.isLinkLocalAddress()) {
            return "a link-local";
        }
        if (a.isSiteLocalAddress()) {
            return "a private";
        }
        if (a.isAnyLocalAddress()) {
            return "an unspecified";
        }
        if (a.isMulticastAddress()) {
            return "a multicast";
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if (first == 100 && second >= 64 && second < 128) {
                return "a carrier-grade NAT";
            }
            if (first == 0 || first >= 240) {
                return "a reserved";
            }
        } else if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return "a unique-local";
            }
            if (isMappedOrCompatible(b)) {
                try {
                    return privateKind(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException e) {
                    return "an unusable";
                }
            }
        }
        return null;
    }

    /** {@code ::ffff:a.b.c.d} (IPv4-mapped): the IPv4 address inside decides. */
    private static boolean isMappedOrCompatible(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }
}
