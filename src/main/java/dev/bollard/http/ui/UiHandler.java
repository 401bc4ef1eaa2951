package dev.bollard.http.ui;

import dev.bollard.audit.AuditLog;
import dev.bollard.auth.ApiAccessRequest;
import dev.bollard.auth.Auth;
import dev.bollard.auth.Identities;
import dev.bollard.auth.WebSessions;
import dev.bollard.auth.oidc.OidcSignIn;
import dev.bollard.events.Webhooks;
import dev.bollard.http.Exchange;
import dev.bollard.http.api.SessionAuthenticator;
import dev.bollard.metadata.Database;
import dev.bollard.mirror.Mirrors;
import dev.bollard.proxy.ProxyOrganizations;
import io.micrometer.core.instrument.MeterRegistry;
import dev.bollard.registry.Registry;
import dev.bollard.scan.results.ScanResults;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.util.URIUtil;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web UI: server-rendered pages (JTE templates, precompiled) enhanced by htmx, at {@code /}. Every page but
 * the sign-in page needs a session; every POST carries the session's CSRF token and, when the browser sends one, an
 * Origin of this site. Every page is authorized by the registry's {@link dev.bollard.auth.AccessPolicy}, asked the
 * management API's question ({@link ApiAccessRequest}) with the session's user; a repository or organization the
 * user may not see is "not found", as on the registry API. Changes go through {@link Identities} as the signed-in
 * user, so the audit log names them. Failures are answered in words, never with a stack trace.
 */
public final class UiHandler {
    private static final Logger LOG = LoggerFactory.getLogger(UiHandler.class);
    static final String SESSION_COOKIE = "bollard_session";
    static final String SIGNIN_COOKIE = "bollard_signin";
    /** An OIDC sign-in under way: provider, state, nonce, PKCE verifier, next page (OidcSignIn.Started). */
    static final String OIDC_COOKIE = "bollard_oidc";
    /** The provider and ID token of a session begun through OIDC, for the provider's logout at sign-out. */
    static final String OIDC_LOGOUT_COOKIE = "bollard_oidc_logout";
    private static final String OIDC_PATH = "/signin/oidc/";
    /** Where a user's own robots have their pages (the list is in the settings). */
    private static final String USER_ROBOTS = "/settings/robots/";
    static final String CSRF_FIELD = "_csrf";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final int MAX_FORM_BYTES = 64 * 1024;
    private static final String HTMX = "/META-INF/resources/webjars/htmx.org/2.0.10/dist/htmx.min.js";
    private static final Map<String, String[]> STATIC = Map.of(
            "/static/htmx.min.js", new String[] {HTMX, "text/javascript; charset=utf-8"},
            "/static/bollard.js", new String[] {"/ui/bollard.js", "text/javascript; charset=utf-8"},
            "/static/bollard.css", new String[] {"/ui/bollard.css", "text/css; charset=utf-8"},
            "/static/favicon.svg", new String[] {"/ui/favicon.svg", "image/svg+xml"});
    private static final List<String> PAGES = List.of("/signin", "/signout", "/repositories", "/settings", "/admin",
            "/orgs", "/audit");

    private final Ui ui;
    private final Auth auth;
    private final WebSessions sessions;
    private final RepositoryPages repositories;
    private final OrganizationPages organizations;
    private final AccountPages accounts;
    private final AuditPages audits;
    private final WebhookPages webhooks;
    private final RobotPages robots;
    private final UpstreamPages upstreams;
    private final Map<String, byte[]> staticFiles = new ConcurrentHashMap<>();
    private final @Nullable OidcSignIn oidc;
    /** The external base URL providers send browsers back to; empty: the request's scheme and Host. */
    private final String redirectBase;

    /**
     * The web UI, whose sign-in page also offers single sign-on through {@code oidc}'s providers; {@code upstreams}:
     * the services of proxy organizations and mirrors, for their pages.
     */
    public UiHandler(Registry registry, Auth auth, WebSessions sessions, AuditLog audit, Webhooks webhooks,
                     ScanResults scans, Upstreams upstreams, @Nullable OidcSignIn oidc, String redirectBase) {
        this.oidc = oidc;
        this.redirectBase = redirectBase;
        this.ui = new Ui(registry, auth, audit);
        this.auth = auth;
        this.sessions = sessions;
        // Every page class is made once, here, and given the collaborators it shares with others.
        LifecycleForms lifecycle = new LifecycleForms(ui);
        this.audits = new AuditPages(ui);
        this.webhooks = new WebhookPages(ui, webhooks);
        ScanPages scanPages = new ScanPages(ui, scans);
        this.robots = new RobotPages(ui);
        this.upstreams = new UpstreamPages(ui, upstreams.proxies(), upstreams.mirrors(), upstreams.meters());
        this.repositories = new RepositoryPages(ui, lifecycle, this.webhooks, scanPages, this.upstreams);
        this.organizations = new OrganizationPages(ui, lifecycle, audits, this.webhooks, scanPages, robots,
                this.upstreams);
        this.accounts = new AccountPages(ui);
    }

    /** What the pages of proxy organizations and mirrors use: their services, and the metrics of stale answers. */
    public record Upstreams(ProxyOrganizations proxies, Mirrors mirrors, MeterRegistry meters) {
    }

    /**
     * The UI's sessions for the management API: the session cookie's user, and for a request that changes something
     * only with the session's CSRF token in the {@value #CSRF_HEADER} header.
     */
    public SessionAuthenticator sessionAuthenticator() {
        return ex -> {
            Optional<WebSessions.Active> session = sessions.find(ex.cookie(SESSION_COOKIE));
            if (session.isEmpty()) {
                return Optional.empty();
            }
            boolean safe = ex.method().equals("GET") || ex.method().equals("HEAD") || ex.method().equals("OPTIONS");
            if (!safe && !WebSessions.same(ex.header(CSRF_HEADER), session.get().csrfToken())) {
                return Optional.empty();
            }
            return Optional.of(session.get().user());
        };
    }

    /** Whether a path belongs to the UI (everything else keeps its own handler or gets 404). */
    public static boolean handles(String path) {
        return path.equals("/") || PAGES.contains(path) || path.startsWith("/static/") || path.startsWith("/repo/")
                || path.startsWith("/org/") || path.startsWith("/admin/") || path.startsWith(OIDC_PATH)
                || path.startsWith(USER_ROBOTS);
    }

    /** Answers one request; never throws: an unexpected failure becomes a page that says so. */
    public void handle(Exchange ex) {
        try {
            route(ex);
        } catch (RuntimeException | IOException e) {
            if (Exchange.isClientGone(e)) {
                LOG.debug("client went away during {} {}: {}", ex.method(), ex.path(), e.toString());
                ex.fail(e);
                return;
            }
            if (e instanceof RuntimeException r && Database.isUnavailable(r)) {
                // An outage, not a defect: a line without a stack trace, and a page saying to come back later.
                LOG.warn("{} {}: the database is unavailable: {}", ex.method(), ex.path(), e.toString());
                ex.setHeader("Retry-After", "5");
                ui.problem(ex, baseFrame(null), 503, "The registry's database is unavailable just now; try again in a "
                        + "moment. If it lasts, tell the registry's administrators.");
                return;
            }
            LOG.error("{} {} failed", ex.method(), ex.path(), e);
            ui.problem(ex, baseFrame(null), 500, "Something went wrong on the registry's side. The error is in its "
                    + "log; try again, and tell the registry's administrators if it persists.");
        }
    }

    private void route(Exchange ex) throws IOException {
        String rawPath = ex.path();
        String path = URIUtil.decodePath(rawPath);
        securityHeaders(ex);
        if (path.startsWith("/static/")) {
            serveStatic(ex, path);
            return;
        }
        String method = ex.method();
        if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("POST")) {
            ex.setHeader("Allow", "GET, HEAD, POST");
            ui.problem(ex, baseFrame(null), 405, "This page answers GET and POST only.");
            return;
        }
        if (path.equals("/signin")) {
            signIn(ex);
            return;
        }
        if (path.startsWith(OIDC_PATH)) {
            oidcSignIn(ex, path.substring(OIDC_PATH.length()));
            return;
        }
        Optional<WebSessions.Active> session = sessions.find(ex.cookie(SESSION_COOKIE));
        if (session.isEmpty()) {
            if (ex.cookie(SESSION_COOKIE) != null) {
                expireCookie(ex, SESSION_COOKIE);
            }
            String next = method.equals("GET") ? rawPath + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery()) : "/";
            Ui.redirect(ex, "/signin" + (next.equals("/") ? "" : "?next=" + Format.url(next)));
            return;
        }
        Frame frame = baseFrame(session.get());
        Map<String, List<String>> form = null;
        if (method.equals("POST")) {
            if (!sameOrigin(ex)) {
                ui.problem(ex, frame, 403, "This form was sent from another site. Bollard only accepts forms from its "
                        + "own pages.");
                return;
            }
            if (ex.announcesMoreThan(MAX_FORM_BYTES)) {
                ui.problem(ex, frame, 413, "The form is too large.");
                return;
            }
            form = ex.form(MAX_FORM_BYTES);
            if (form == null) {
                ui.problem(ex, frame, 400, "The form could not be read: it is not a form, or it is too large.");
                return;
            }
            String token = form.containsKey(CSRF_FIELD) ? form.get(CSRF_FIELD).getFirst() : ex.header(CSRF_HEADER);
            if (!WebSessions.same(token, session.get().csrfToken())) {
                ui.problem(ex, frame, 403, "This form has expired or did not come from this page. Reload the page and "
                        + "try again.");
                return;
            }
        }
        Call call = new Call(ex, path, session.get(), form, frame);
        switch (path) {
            case "/" -> organizations.dashboard(call);
            case "/signout" -> signOut(call);
            case "/repositories" -> repositories.repositories(call);
            case "/settings" -> accounts.settings(call);
            case "/admin" -> accounts.admin(call);
            case "/admin/usage" -> accounts.usage(call);
            case "/admin/upstreams" -> upstreams.registry(call);
            case "/orgs" -> organizations.organizations(call);
            case "/audit" -> audits.auditLog(call, null);
            default -> {
                if (path.startsWith("/repo/")) {
                    repositories.repository(call, path.substring("/repo/".length()));
                } else if (path.equals("/admin/webhooks") || path.startsWith("/admin/webhooks/")) {
                    webhooks.registry(call, path.substring("/admin/webhooks".length()));
                } else if (path.startsWith("/org/")) {
                    organizations.organization(call, path.substring("/org/".length()));
                } else if (path.startsWith(USER_ROBOTS)) {
                    robots.page(call, new RobotPages.Place(call.user().name(), List.of(), "/settings", "settings"),
                            Ui.stripSlash(path.substring(USER_ROBOTS.length())));
                } else {
                    ui.problem(call, 404, "There is no page at " + path + ".");
                }
            }
        }
    }

    // ---- signing in and out ----

    private void signIn(Exchange ex) throws IOException {
        Frame frame = baseFrame(null).titled("Sign in", "");
        String formToken = ex.cookie(SIGNIN_COOKIE);
        if (formToken == null || formToken.length() < 20 || formToken.length() > 100) {
            formToken = WebSessions.newFormToken();
            ex.addHeader("Set-Cookie", cookie(ex, SIGNIN_COOKIE, formToken, "/signin", -1));
        }
        boolean noUsers = auth.identities().users().isEmpty();
        if (ex.method().equals("GET") || ex.method().equals("HEAD")) {
            ui.render(ex, 200, "signin.jte", frame, new Pages.SignIn("", safeNext(ex.query("next")), formToken, noUsers,
                    providers()));
            return;
        }
        if (ex.announcesMoreThan(MAX_FORM_BYTES)) {
            ui.render(ex, 413, "signin.jte", frame.withError("The sign-in form is too large."),
                    new Pages.SignIn("", safeNext(ex.query("next")), formToken, noUsers, providers()));
            return;
        }
        Map<String, List<String>> form = ex.form(MAX_FORM_BYTES);
        String username = Call.first(form, "username");
        String next = safeNext(Call.first(form, "next"));
        Pages.SignIn page = new Pages.SignIn(username, next, formToken, noUsers, providers());
        // Login CSRF: the form's token must be the one in this browser's cookie (double submit), from this site.
        if (form == null || !sameOrigin(ex) || !WebSessions.same(Call.first(form, CSRF_FIELD), ex.cookie(SIGNIN_COOKIE))) {
            ui.render(ex, 403, "signin.jte", frame.withError("The sign-in form expired. Please try again."), page);
            return;
        }
        switch (auth.signIn(username, Call.first(form, "password"), ex.remoteAddress(), ex.header("User-Agent"))) {
            case Auth.SignIn.Ok ok -> {
                WebSessions.Started started = sessions.start(ok.user());
                ex.addHeader("Set-Cookie", cookie(ex, SESSION_COOKIE, started.cookieValue(), "/",
                        sessions.maxAge().toSeconds()));
                Ui.redirect(ex, next);
            }
            case Auth.SignIn.Refused refused ->
                    ui.render(ex, 401, "signin.jte", frame.withError(refused.message()), page);
        }
    }

    private void signOut(Call call) {
        if (!call.isPost()) {
            ui.problem(call, 405, "Sign out with the button at the top of each page.");
            return;
        }
        sessions.end(call.ex().cookie(SESSION_COOKIE));
        expireCookie(call.ex(), SESSION_COOKIE);
        String oidcSession = call.ex().cookie(OIDC_LOGOUT_COOKIE);
        if (oidc != null && oidcSession != null && oidcSession.indexOf('.') > 0) {
            expireCookie(call.ex(), OIDC_LOGOUT_COOKIE);
            String provider = oidcSession.substring(0, oidcSession.indexOf('.'));
            Optional<URI> logout = oidc.logout(provider, oidcSession.substring(provider.length() + 1),
                    URI.create(base(call.ex()) + "/signin"));
            String name = oidc.providers().stream().filter(p -> p.id().equals(provider)).findFirst()
                    .map(OidcSignIn.Provider::displayName).orElse(provider);
            if (logout.isPresent()) {
                // A page, not a redirect: the form-action 'self' policy forbids a form's redirect to another site.
                call.ex().setHeader("Refresh", "0; url=" + logout.get());
                ui.render(call.ex(), 200, "signout.jte", baseFrame(null).titled("Signed out", ""),
                        new Pages.SignedOut(name, logout.get().toString()));
                return;
            }
        }
        Ui.redirect(call.ex(), "/signin");
    }

    // ---- single sign-on (OIDC) ----

    private List<OidcSignIn.Provider> providers() {
        return oidc == null ? List.of() : oidc.providers();
    }

    /**
     * {@code /signin/oidc/<provider>}: off to the provider; {@code /signin/oidc/<provider>/callback}: back from it,
     * signed in (a session begun) or told why not on the sign-in page.
     */
    private void oidcSignIn(Exchange ex, String rest) throws IOException {
        boolean callback = rest.endsWith("/callback");
        String provider = callback ? rest.substring(0, rest.length() - "/callback".length()) : rest;
        if (oidc == null || !ex.method().equals("GET") || oidc.providers().stream().noneMatch(p -> p.id().equals(provider))) {
            ui.problem(ex, baseFrame(null), 404, "There is no sign-in provider '" + provider + "'.");
            return;
        }
        URI redirectUri = URI.create(base(ex) + OIDC_PATH + provider + "/callback");
        try {
            if (!callback) {
                OidcSignIn.Started started = oidc.begin(provider, redirectUri, safeNext(ex.query("next")));
                ex.addHeader("Set-Cookie", cookie(ex, OIDC_COOKIE, started.pending(), OIDC_PATH, 600));
                ex.setHeader("Location", started.authorizationUri().toString());
                ex.setHeader("Cache-Control", "no-store");
                ex.sendEmpty(302);
                return;
            }
            ex.addHeader("Set-Cookie", cookie(ex, OIDC_COOKIE, "", OIDC_PATH, 0));
            OidcSignIn.Completed done = oidc.complete(provider,
                    URI.create(redirectUri + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery())), redirectUri,
                    ex.cookie(OIDC_COOKIE));
            switch (auth.signInWith(done.identity(), ex.remoteAddress(), ex.header("User-Agent"))) {
                case Auth.SignIn.Ok ok -> {
                    WebSessions.Started started = sessions.start(ok.user());
                    ex.addHeader("Set-Cookie", cookie(ex, SESSION_COOKIE, started.cookieValue(), "/",
                            sessions.maxAge().toSeconds()));
                    ex.addHeader("Set-Cookie", cookie(ex, OIDC_LOGOUT_COOKIE, provider + "." + done.idToken(),
                            "/signout", sessions.maxAge().toSeconds()));
                    Ui.redirect(ex, safeNext(done.next()));
                }
                case Auth.SignIn.Refused refused -> oidcRefused(ex, refused.message());
            }
        } catch (OidcSignIn.Failed e) {
            auth.signInFailed("oidc:" + provider, e.reason(), ex.remoteAddress(), ex.header("User-Agent"));
            oidcRefused(ex, e.reason());
        }
    }

    private void oidcRefused(Exchange ex, String message) {
        String formToken = WebSessions.newFormToken();
        ex.addHeader("Set-Cookie", cookie(ex, SIGNIN_COOKIE, formToken, "/signin", -1));
        ui.render(ex, 401, "signin.jte", baseFrame(null).titled("Sign in", "").withError(message),
                new Pages.SignIn("", "/", formToken, false, providers()));
    }

    /** The registry's external base URL, as configured or as the browser reached it. */
    private String base(Exchange ex) {
        if (!redirectBase.isEmpty()) {
            return redirectBase;
        }
        return (ex.isSecure() ? "https://" : "http://") + Ui.registryHost(ex);
    }

    // ---- rendering ----

    private Frame baseFrame(WebSessions.@Nullable Active session) {
        return session == null ? new Frame("Bollard", null, false, "", "", null, null)
                : new Frame("Bollard", session.user().name(), session.user().superuser(), session.csrfToken(), "",
                        null, null);
    }

    private void serveStatic(Exchange ex, String path) {
        String[] file = STATIC.get(path);
        byte[] body = file == null ? null : staticFiles.computeIfAbsent(path, p -> load(file[0]));
        if (file == null || body == null) {
            ex.sendText(404, "not found: " + path + "\n");
            return;
        }
        ex.setHeader("Cache-Control", "public, max-age=3600");
        ex.sendBytes(200, file[1], body);
    }

    private static byte[] load(String resource) {
        try (InputStream in = UiHandler.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- HTTP details ----

    /** Scripts and styles from this site only, no framing, no sniffing: a page cannot be turned against its user. */
    private static void securityHeaders(Exchange ex) {
        ex.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                + "form-action 'self'; base-uri 'none'; object-src 'none'");
        ex.setHeader("X-Content-Type-Options", "nosniff");
        ex.setHeader("X-Frame-Options", "DENY");
        ex.setHeader("Referrer-Policy", "same-origin");
    }

    /** A browser's Origin (or, lacking one, Referer) must name this site; requests without either are not browsers'. */
    private static boolean sameOrigin(Exchange ex) {
        String origin = ex.header("Origin");
        if (origin == null || origin.equals("null")) {
            String referer = ex.header("Referer");
            if (referer == null) {
                return origin == null;
            }
            origin = referer;
        }
        String host = ex.authority();
        String scheme = ex.isSecure() ? "https://" : "http://";
        return host != null && (origin.equals(scheme + host) || origin.startsWith(scheme + host + "/"));
    }

    private static String cookie(Exchange ex, String name, String value, String path, long maxAgeSeconds) {
        return name + "=" + value + "; Path=" + path + (maxAgeSeconds >= 0 ? "; Max-Age=" + maxAgeSeconds : "")
                + "; HttpOnly; SameSite=Lax" + (ex.isSecure() ? "; Secure" : "");
    }

    private static void expireCookie(Exchange ex, String name) {
        ex.addHeader("Set-Cookie", cookie(ex, name, "", "/", 0));
    }

    /** A local path to go to after signing in; anything else (another site, a scheme) becomes the dashboard. */
    private static String safeNext(@Nullable String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")
                || next.chars().anyMatch(c -> c < 0x20) || next.startsWith("/signin")) {
            return "/";
        }
        return next;
    }
}
