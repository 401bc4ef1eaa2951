package dev.bollard.http.ui;

import dev.bollard.audit.AuditLog;
import dev.bollard.auth.AccessDecision;
import dev.bollard.auth.ApiAccessRequest;
import dev.bollard.auth.Auth;
import dev.bollard.auth.Identities;
import dev.bollard.auth.Permission;
import dev.bollard.auth.Principal;
import dev.bollard.auth.WebSessions;
import dev.bollard.http.Exchange;
import dev.bollard.http.api.SessionAuthenticator;
import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RepositoryFilter;
import dev.bollard.oci.Digest;
import dev.bollard.oci.InvalidDigestException;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.Registry;
import dev.bollard.registry.RegistryException;
import dev.bollard.registry.RepositoryBrowser;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.Utf8ByteOutput;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.util.URIUtil;
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
    static final String CSRF_FIELD = "_csrf";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final int MAX_FORM_BYTES = 64 * 1024;
    private static final int LIST_LIMIT = 200;
    private static final String HTMX = "/META-INF/resources/webjars/htmx.org/2.0.10/dist/htmx.min.js";
    private static final Map<String, String[]> STATIC = Map.of(
            "/static/htmx.min.js", new String[] {HTMX, "text/javascript; charset=utf-8"},
            "/static/bollard.js", new String[] {"/ui/bollard.js", "text/javascript; charset=utf-8"},
            "/static/bollard.css", new String[] {"/ui/bollard.css", "text/css; charset=utf-8"},
            "/static/favicon.svg", new String[] {"/ui/favicon.svg", "image/svg+xml"});
    private static final List<String> PAGES = List.of("/signin", "/signout", "/repositories", "/settings", "/admin",
            "/orgs", "/audit");
    private static final int AUDIT_PAGE = 100;

    private final Registry registry;
    private final Auth auth;
    private final WebSessions sessions;
    private final AuditLog audit;
    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);
    private final Map<String, byte[]> staticFiles = new ConcurrentHashMap<>();

    public UiHandler(Registry registry, Auth auth, WebSessions sessions, AuditLog audit) {
        this.registry = registry;
        this.auth = auth;
        this.sessions = sessions;
        this.audit = audit;
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
                || path.startsWith("/org/");
    }

    /** Answers one request; never throws: an unexpected failure becomes a page that says so. */
    public void handle(Exchange ex) {
        try {
            route(ex);
        } catch (RuntimeException | IOException e) {
            LOG.error("{} {} failed", ex.method(), ex.path(), e);
            problem(ex, baseFrame(null), 500, "Something went wrong on the registry's side. The error is in its "
                    + "log; try again, and tell the registry's administrators if it persists.");
        }
    }

    /** One request as the pages see it: who is signed in, the form of a POST, the frame pages render into. */
    private record Call(Exchange ex, String path, WebSessions.Active session, Map<String, List<String>> form,
                        Frame frame) {
        Principal.User user() {
            return session.user();
        }

        boolean isPost() {
            return ex.method().equals("POST");
        }

        String userAgent() {
            return ex.header("User-Agent");
        }

        String field(String name) {
            List<String> v = form == null ? null : form.get(name);
            return v == null || v.isEmpty() ? "" : v.getFirst().trim();
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
            problem(ex, baseFrame(null), 405, "This page answers GET and POST only.");
            return;
        }
        if (path.equals("/signin")) {
            signIn(ex);
            return;
        }
        Optional<WebSessions.Active> session = sessions.find(ex.cookie(SESSION_COOKIE));
        if (session.isEmpty()) {
            if (ex.cookie(SESSION_COOKIE) != null) {
                expireCookie(ex, SESSION_COOKIE);
            }
            String next = method.equals("GET") ? rawPath + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery()) : "/";
            redirect(ex, "/signin" + (next.equals("/") ? "" : "?next=" + Format.url(next)));
            return;
        }
        Frame frame = baseFrame(session.get());
        Map<String, List<String>> form = null;
        if (method.equals("POST")) {
            if (!sameOrigin(ex)) {
                problem(ex, frame, 403, "This form was sent from another site. Bollard only accepts forms from its "
                        + "own pages.");
                return;
            }
            form = ex.form(MAX_FORM_BYTES);
            if (form == null) {
                problem(ex, frame, 400, "The form could not be read: it is not a form, or it is too large.");
                return;
            }
            String token = form.containsKey(CSRF_FIELD) ? form.get(CSRF_FIELD).getFirst() : ex.header(CSRF_HEADER);
            if (!WebSessions.same(token, session.get().csrfToken())) {
                problem(ex, frame, 403, "This form has expired or did not come from this page. Reload the page and "
                        + "try again.");
                return;
            }
        }
        Call call = new Call(ex, path, session.get(), form, frame);
        switch (path) {
            case "/" -> dashboard(call);
            case "/signout" -> signOut(call);
            case "/repositories" -> repositories(call);
            case "/settings" -> settings(call);
            case "/admin" -> admin(call);
            case "/orgs" -> createOrganization(call);
            case "/audit" -> auditLog(call, null);
            default -> {
                if (path.startsWith("/repo/")) {
                    repository(call, path.substring("/repo/".length()));
                } else if (path.startsWith("/org/")) {
                    organization(call, path.substring("/org/".length()));
                } else {
                    problem(ex, frame, 404, "There is no page at " + path + ".");
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
        if (ex.method().equals("GET") || ex.method().equals("HEAD")) {
            render(ex, 200, "signin.jte", frame, new Pages.SignIn("", safeNext(ex.query("next")), formToken));
            return;
        }
        Map<String, List<String>> form = ex.form(MAX_FORM_BYTES);
        String username = first(form, "username");
        String next = safeNext(first(form, "next"));
        Pages.SignIn page = new Pages.SignIn(username, next, formToken);
        // Login CSRF: the form's token must be the one in this browser's cookie (double submit), from this site.
        if (form == null || !sameOrigin(ex) || !WebSessions.same(first(form, CSRF_FIELD), ex.cookie(SIGNIN_COOKIE))) {
            render(ex, 403, "signin.jte", frame.withError("The sign-in form expired. Please try again."), page);
            return;
        }
        switch (auth.signIn(username, first(form, "password"), ex.remoteAddress(), ex.header("User-Agent"))) {
            case Auth.SignIn.Ok ok -> {
                WebSessions.Started started = sessions.start(ok.user());
                ex.addHeader("Set-Cookie", cookie(ex, SESSION_COOKIE, started.cookieValue(), "/",
                        sessions.maxAge().toSeconds()));
                redirect(ex, next);
            }
            case Auth.SignIn.Refused refused -> render(ex, 401, "signin.jte", frame.withError(refused.message()), page);
        }
    }

    private void signOut(Call call) {
        if (!call.isPost()) {
            problem(call.ex(), call.frame(), 405, "Sign out with the button at the top of each page.");
            return;
        }
        sessions.end(call.ex().cookie(SESSION_COOKIE));
        expireCookie(call.ex(), SESSION_COOKIE);
        redirect(call.ex(), "/signin");
    }

    // ---- dashboard and repository lists ----

    private void dashboard(Call call) throws IOException {
        Principal.User user = call.user();
        List<Pages.Namespace> namespaces = new ArrayList<>();
        namespaces.add(new Pages.Namespace(user.name(), false));
        auth.identities().organizations(user.superuser() ? null : user.name(), null, LIST_LIMIT)
                .forEach(o -> namespaces.add(new Pages.Namespace(o, true)));
        List<RepositoryDao.Summary> recent = new ArrayList<>(browser().repositories(visible(user), "", LIST_LIMIT));
        recent.sort((a, b) -> b.lastPush().compareTo(a.lastPush()));
        render(call, 200, "dashboard.jte", call.frame().titled("Dashboard", "dashboard"),
                new Pages.Dashboard(namespaces, recent.subList(0, Math.min(10, recent.size()))));
    }

    private void createOrganization(Call call) throws IOException {
        if (!call.isPost()) {
            redirect(call.ex(), "/");
            return;
        }
        String name = call.field("name");
        try {
            identities(call).createOrganization(name, call.user().name());
        } catch (IllegalArgumentException e) {
            Frame failed = call.frame().withError(sentence(e.getMessage()));
            dashboard(new Call(call.ex(), call.path(), call.session(), call.form(), failed));
            return;
        }
        redirect(call.ex(), "/org/" + Format.url(name));
    }

    private void repositories(Call call) throws IOException {
        Frame frame = call.frame().titled("Repositories", "repositories");
        int status = 200;
        if (call.isPost()) {
            String name = call.field("name");
            if (!RepositoryName.isValid(name) || !permits(call, Permission.REPO_CREATE, name)) {
                frame = frame.withError("You may not create " + name + ": a repository is named NAMESPACE/NAME, in "
                        + "your own namespace or one of an organization you administer (or create in, by a team).");
                status = 400;
            } else {
                try {
                    identities(call).createRepository(call.user(), name, call.field("visibility").equals("public"));
                    redirect(call.ex(), Format.repoPath(name));
                    return;
                } catch (IllegalArgumentException e) {
                    frame = frame.withError(sentence(e.getMessage(), call.form()));
                    status = 400;
                }
            }
        }
        String query = Optional.ofNullable(call.ex().query("q")).orElse("").trim();
        List<RepositoryDao.Summary> found = browser().repositories(visible(call.user()), query, LIST_LIMIT + 1);
        boolean more = found.size() > LIST_LIMIT;
        render(call, status, "repositories.jte", frame,
                new Pages.Repositories(query, more ? found.subList(0, LIST_LIMIT) : found, more));
    }

    // ---- a repository ----

    private void repository(Call call, String rest) throws IOException {
        int split = rest.indexOf("/-/");
        String name = split < 0 ? stripSlash(rest) : rest.substring(0, split);
        String sub = split < 0 ? "" : rest.substring(split + 3);
        if (!RepositoryName.isValid(name) || !registryKnows(name) || !permits(call, Permission.REPO_READ, name)) {
            problem(call.ex(), call.frame(), 404, "There is no repository " + name + ", or you may not see it.");
            return;
        }
        RepositoryName repository = new RepositoryName(name);
        try {
            if (sub.isEmpty()) {
                repositoryPage(call, repository);
            } else if (sub.startsWith("tag/")) {
                tagPage(call, repository, sub.substring(4));
            } else if (sub.startsWith("manifest/")) {
                manifestPage(call, repository, sub.substring(9), null);
            } else if (sub.equals("settings")) {
                repositorySettings(call, repository);
            } else {
                problem(call.ex(), call.frame(), 404, "There is no page at " + call.path() + ".");
            }
        } catch (RegistryException e) {
            // The repository went away (or never held anything) between the check and the read.
            problem(call.ex(), call.frame(), 404, sentence(e.getMessage()));
        }
    }

    private void repositoryPage(Call call, RepositoryName repository) throws IOException {
        String name = repository.value();
        List<RepositoryBrowser.TagSummary> tags = browser().tags(repository);
        List<RepositoryBrowser.TagEvent> history = browser().history(repository, null, 50);
        render(call, 200, "repository.jte", call.frame().titled(name, "repositories"),
                new Pages.Repository(name, isPublic(name), registryHost(call.ex()), tags, history,
                        permits(call, Permission.REPO_ADMIN, name)));
    }

    private void tagPage(Call call, RepositoryName repository, String tag) throws IOException {
        if (!Tag.isValid(tag)) {
            problem(call.ex(), call.frame(), 404, "'" + tag + "' is not a tag name.");
            return;
        }
        Optional<Digest> digest = browser().resolve(repository, tag);
        if (digest.isEmpty()) {
            problem(call.ex(), call.frame(), 404, "There is no tag " + tag + " in " + repository + ".");
            return;
        }
        manifestPage(call, repository, digest.get().toString(), tag);
    }

    private void manifestPage(Call call, RepositoryName repository, String digestText, String tag) throws IOException {
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (InvalidDigestException e) {
            problem(call.ex(), call.frame(), 404, "'" + digestText + "' is not a digest.");
            return;
        }
        Optional<RepositoryBrowser.Details> details = browser().details(repository, digest,
                registry.manifests().referrers(repository, digest, null));
        if (details.isEmpty()) {
            problem(call.ex(), call.frame(), 404, "There is no manifest " + digest + " in " + repository + ".");
            return;
        }
        String title = repository + (tag != null ? ":" + tag : "@" + Format.shortDigest(digest.toString()));
        render(call, 200, "image.jte", call.frame().titled(title, "repositories"),
                new Pages.Image(repository.value(), tag, registryHost(call.ex()), details.get()));
    }

    private void repositorySettings(Call call, RepositoryName repository) throws IOException {
        String name = repository.value();
        if (!permits(call, Permission.REPO_ADMIN, name)) {
            problem(call.ex(), call.frame(), 403, "Only administrators of " + name + " may change its settings.");
            return;
        }
        Frame frame = call.frame().titled("Settings of " + name, "repositories");
        int status = 200;
        if (call.isPost()) {
            Identities identities = identities(call);
            String grantee = call.field("grantee");
            String kind = call.field("kind");
            try {
                frame = frame.withNotice(switch (call.field("action")) {
                    case "visibility" -> {
                        boolean isPublic = call.field("visibility").equals("public");
                        identities.setVisibility(name, isPublic);
                        yield name + " is now " + (isPublic ? "public: anyone may pull it." : "private.");
                    }
                    case "grant" -> {
                        identities.grant(name, kind, grantee, call.field("role"));
                        yield "The " + kind + " " + grantee + " now has " + call.field("role") + " permission on "
                                + name + ".";
                    }
                    case "revoke" -> {
                        identities.revoke(name, kind, grantee);
                        yield "The " + kind + " " + grantee + " no longer has a permission of its own on " + name + ".";
                    }
                    case "delete" -> {
                        if (!call.field("confirm").equals(name)) {
                            throw new IllegalArgumentException("type the repository's name, " + name
                                    + ", to confirm its deletion");
                        }
                        identities.deleteRepository(name);
                        yield null;
                    }
                    default -> throw new IllegalArgumentException("unknown action");
                });
                if (frame.notice() == null) { // deleted: nothing left to show here
                    redirect(call.ex(), "/repositories");
                    return;
                }
            } catch (IllegalArgumentException e) {
                frame = frame.withError(sentence(e.getMessage(), call.form()));
                status = 400;
            }
        }
        render(call, status, "repository_settings.jte", frame,
                new Pages.RepositorySettings(name, isPublic(name), auth.identities().grants(name)));
    }

    // ---- organizations ----

    private void organization(Call call, String rest) throws IOException {
        String path = stripSlash(rest);
        boolean auditPage = path.endsWith("/audit");
        String name = auditPage ? path.substring(0, path.length() - "/audit".length()) : path;
        if (!auth.identities().organizationExists(name) || !permits(call, Permission.ORG_MEMBER, name)) {
            problem(call.ex(), call.frame(), 404, "There is no organization " + name + ", or you are not a member.");
            return;
        }
        boolean manages = permits(call, Permission.ORG_ADMIN, name);
        if (auditPage) {
            if (!manages) {
                problem(call.ex(), call.frame(), 403, "Only owners and administrators of " + name
                        + " may read its audit log.");
                return;
            }
            auditLog(call, name);
            return;
        }
        Frame frame = call.frame().titled(name, "dashboard");
        String secret = null;
        String secretFor = null;
        int status = 200;
        if (call.isPost()) {
            if (!manages) {
                problem(call.ex(), frame, 403, "Only owners and administrators of " + name + " may change it.");
                return;
            }
            Identities identities = identities(call);
            String user = call.field("user");
            String team = call.field("team");
            try {
                switch (call.field("action")) {
                    case "add-member" -> {
                        identities.setMember(name, user, call.field("role"));
                        frame = frame.withNotice(user + " is now " + article(call.field("role")) + " of " + name + ".");
                    }
                    case "remove-member" -> {
                        identities.removeMember(name, user);
                        frame = frame.withNotice(user + " is no longer a member of " + name + ".");
                    }
                    case "delete-organization" -> {
                        if (!call.field("confirm").equals(name)) {
                            throw new IllegalArgumentException("type the organization's name, " + name
                                    + ", to confirm its deletion");
                        }
                        identities.deleteOrganization(name);
                        redirect(call.ex(), "/");
                        return;
                    }
                    case "create-team" -> {
                        identities.createTeam(name, team, call.field("role"), call.field("description"));
                        frame = frame.withNotice("Team " + team + " was created.");
                    }
                    case "delete-team" -> {
                        identities.deleteTeam(name, team);
                        frame = frame.withNotice("Team " + team + " was deleted.");
                    }
                    case "add-team-member" -> {
                        identities.addTeamMember(name, team, user);
                        frame = frame.withNotice(user + " is now in team " + team + ".");
                    }
                    case "remove-team-member" -> {
                        identities.removeTeamMember(name, team, user);
                        frame = frame.withNotice(user + " is no longer in team " + team + ".");
                    }
                    case "set-default" -> {
                        identities.setDefaultPermission(name, call.field("kind"), call.field("grantee"),
                                call.field("role"));
                        frame = frame.withNotice("New repositories of " + name + " will grant " + call.field("role")
                                + " to the " + call.field("kind") + " " + call.field("grantee") + ".");
                    }
                    case "remove-default" -> {
                        identities.removeDefaultPermission(name, call.field("kind"), call.field("grantee"));
                        frame = frame.withNotice("The default permission of the " + call.field("kind") + " "
                                + call.field("grantee") + " was removed.");
                    }
                    default -> {
                        RobotChange change = changeRobot(identities, name, call);
                        secret = change.token();
                        secretFor = change.robot();
                        frame = frame.withNotice(change.notice());
                    }
                }
            } catch (IllegalArgumentException e) {
                frame = frame.withError(sentence(e.getMessage(), call.form()));
                status = 400;
            }
        }
        List<Identities.MemberInfo> members = auth.identities().members(name, null, LIST_LIMIT);
        String role = members.stream().filter(m -> m.name().equals(call.user().name())).map(Identities.MemberInfo::role)
                .findFirst().orElse(call.user().superuser() ? "superuser" : "member through a team");
        List<Pages.Team> teams = new ArrayList<>();
        for (Identities.TeamInfo t : auth.identities().teams(name, null, LIST_LIMIT)) {
            teams.add(new Pages.Team(t, auth.identities().teamMembers(name, t.name(), null, LIST_LIMIT)));
        }
        List<RepositoryDao.Summary> repositories = browser().repositories(visible(call.user()), name + "/", LIST_LIMIT)
                .stream().filter(r -> r.name().startsWith(name + "/")).toList();
        render(call, status, "organization.jte", frame, new Pages.Organization(name, role, manages, members, teams,
                manages ? auth.identities().defaultPermissions(name) : List.of(),
                manages ? auth.identities().robots(name) : List.of(), repositories, secret, secretFor));
    }

    /** A robot created, given a new token (shown once) or deleted; {@code token} null when there is none to show. */
    private record RobotChange(String robot, String token, String notice) {
    }

    /** Creates, regenerates or deletes robot {@code owner+<robot field>}, as the form's action says. */
    private static RobotChange changeRobot(Identities identities, String owner, Call call) {
        String robot = owner + "+" + call.field("robot");
        return switch (call.field("action")) {
            case "create-robot" -> new RobotChange(robot, identities.createRobot(owner, call.field("robot")),
                    "Robot " + robot + " was created.");
            case "regenerate-robot" -> new RobotChange(robot, identities.regenerateRobotToken(robot),
                    "Robot " + robot + " has a new token; the old one no longer works.");
            case "delete-robot" -> {
                identities.deleteRobot(robot);
                yield new RobotChange(null, null, "Robot " + robot + " was deleted.");
            }
            default -> throw new IllegalArgumentException("unknown action");
        };
    }

    // ---- the user's own settings, and administration ----

    private void settings(Call call) throws IOException {
        String user = call.user().name();
        Frame frame = call.frame().titled("Your settings", "settings");
        String secret = null;
        String secretFor = null;
        int status = 200;
        if (call.isPost()) {
            Identities identities = identities(call);
            String tokenName = call.field("name");
            try {
                switch (call.field("action")) {
                    case "create-token" -> {
                        secret = identities.createAppToken(user, tokenName);
                        secretFor = tokenName;
                        frame = frame.withNotice("Application token " + tokenName + " was created.");
                    }
                    case "revoke-token" -> {
                        identities.revokeAppToken(user, tokenName);
                        frame = frame.withNotice("Application token " + tokenName + " was revoked.");
                    }
                    case "create-robot", "regenerate-robot", "delete-robot" -> {
                        RobotChange change = changeRobot(identities, user, call);
                        secret = change.token();
                        secretFor = change.robot();
                        frame = frame.withNotice(change.notice());
                    }
                    case "password" -> {
                        if (!(auth.signIn(user, call.field("current"), call.ex().remoteAddress(), call.userAgent())
                                instanceof Auth.SignIn.Ok)) {
                            throw new IllegalArgumentException("the current password is not right");
                        }
                        identities.resetPassword(user, call.field("password"));
                        frame = frame.withNotice("Your password was changed.");
                    }
                    default -> throw new IllegalArgumentException("unknown action");
                }
            } catch (IllegalArgumentException e) {
                frame = frame.withError(sentence(e.getMessage(), call.form()));
                status = 400;
            }
        }
        render(call, status, "settings.jte", frame, new Pages.Settings(user, auth.identities().appTokens(user),
                auth.identities().robots(user), auth.identities().organizations(user, null, LIST_LIMIT), secret,
                secretFor));
    }

    private void admin(Call call) throws IOException {
        if (!permits(call, Permission.SUPERUSER, null)) {
            problem(call.ex(), call.frame(), 403, "Only superusers may administer users.");
            return;
        }
        Frame frame = call.frame().titled("Administration", "admin");
        int status = 200;
        if (call.isPost()) {
            Identities identities = identities(call);
            String user = call.field("user");
            try {
                switch (call.field("action")) {
                    case "create-user" -> {
                        identities.createUser(user, call.field("password"), call.field("superuser").equals("on"));
                        frame = frame.withNotice("User " + user + " was created.");
                    }
                    case "superuser" -> {
                        boolean on = call.field("superuser").equals("true");
                        if (!on && user.equals(call.user().name())) {
                            throw new IllegalArgumentException("you cannot take away your own superuser role; "
                                    + "ask another superuser");
                        }
                        identities.setSuperuser(user, on);
                        frame = frame.withNotice(user + (on ? " is now a superuser." : " is no longer a superuser."));
                    }
                    case "delete-user" -> {
                        if (user.equals(call.user().name())) {
                            throw new IllegalArgumentException("you cannot delete yourself; ask another superuser");
                        }
                        identities.deleteUser(user);
                        frame = frame.withNotice("User " + user + " was deleted.");
                    }
                    case "password" -> {
                        identities.resetPassword(user, call.field("password"));
                        frame = frame.withNotice("The password of " + user + " was reset; their refresh tokens "
                                + "were revoked.");
                    }
                    default -> throw new IllegalArgumentException("unknown action");
                }
            } catch (IllegalArgumentException e) {
                frame = frame.withError(sentence(e.getMessage(), call.form()));
                status = 400;
            }
        }
        render(call, status, "admin.jte", frame, new Pages.Admin(auth.identities().users(null, LIST_LIMIT),
                auth.identities().organizations(null, null, LIST_LIMIT)));
    }

    /** The audit log with filters, newest first: the registry's (superusers) or one organization's ({@code org}). */
    private void auditLog(Call call, String org) throws IOException {
        if (org == null && !permits(call, Permission.SUPERUSER, null)) {
            problem(call.ex(), call.frame(), 403, "Only superusers may read the registry's audit log; owners and "
                    + "administrators of an organization read its own on the organization's page.");
            return;
        }
        Exchange ex = call.ex();
        String actor = blankToNull(ex.query("actor"));
        String action = blankToNull(ex.query("action"));
        String repository = blankToNull(ex.query("repository"));
        String since = blankToNull(ex.query("since"));
        String until = blankToNull(ex.query("until"));
        Frame frame = call.frame().titled(org == null ? "Audit log" : "Audit log of " + org, org == null ? "audit" : "dashboard");
        Long sinceMillis;
        Long untilMillis;
        Long before;
        try {
            sinceMillis = since == null ? null : day(since).toEpochMilli();
            untilMillis = until == null ? null : day(until).plus(java.time.Duration.ofDays(1)).toEpochMilli();
            before = blankToNull(ex.query("before")) == null ? null : Long.parseLong(ex.query("before"));
        } catch (java.time.format.DateTimeParseException | NumberFormatException e) {
            render(call, 400, "audit.jte", frame.withError("Dates are written as 2026-01-31."),
                    new Pages.Audit(org, actor, action, repository, since, until, List.of(), null));
            return;
        }
        List<AuditDao.Entry> entries = audit.query(new AuditDao.Filter(actor, action, org, repository, sinceMillis,
                untilMillis), before, AUDIT_PAGE + 1);
        Long next = entries.size() > AUDIT_PAGE ? entries.get(AUDIT_PAGE - 1).seq() : null;
        render(call, 200, "audit.jte", frame, new Pages.Audit(org, actor, action, repository, since, until,
                entries.subList(0, Math.min(AUDIT_PAGE, entries.size())), next));
    }

    private static java.time.Instant day(String date) {
        return java.time.LocalDate.parse(date).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    // ---- rendering ----

    private Frame baseFrame(WebSessions.Active session) {
        return session == null ? new Frame("Bollard", null, false, "", "", null, null)
                : new Frame("Bollard", session.user().name(), session.user().superuser(), session.csrfToken(), "",
                        null, null);
    }

    private void render(Call call, int status, String template, Frame frame, Object page) {
        render(call.ex(), status, template, frame, page);
    }

    private void render(Exchange ex, int status, String template, Frame frame, Object page) {
        Utf8ByteOutput out = new Utf8ByteOutput();
        templates.render(template, Map.of("frame", frame, "page", page), out);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(out.getContentLength());
        try {
            out.writeTo(bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ex.setHeader("Cache-Control", "no-store");
        ex.sendBytes(status, "text/html; charset=utf-8", bytes.toByteArray());
    }

    private void problem(Exchange ex, Frame frame, int status, String message) {
        render(ex, status, "problem.jte", frame.titled(switch (status) {
            case 400 -> "Cannot do that";
            case 403 -> "Not allowed";
            case 404 -> "Not found";
            case 405 -> "Not here";
            default -> "Something went wrong";
        }, ""), new Pages.Problem(status, message));
    }

    private void serveStatic(Exchange ex, String path) {
        String[] file = STATIC.get(path);
        byte[] body = file == null ? null : staticFiles.computeIfAbsent(path, p -> load(file[0]));
        if (body == null) {
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
            throw new java.io.UncheckedIOException(e);
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
        String host = ex.header("Host");
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

    private static void redirect(Exchange ex, String location) {
        ex.setHeader("Location", location);
        ex.setHeader("Cache-Control", "no-store");
        ex.sendEmpty(303);
    }

    /** A local path to go to after signing in; anything else (another site, a scheme) becomes the dashboard. */
    private static String safeNext(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")
                || next.chars().anyMatch(c -> c < 0x20) || next.startsWith("/signin")) {
            return "/";
        }
        return next;
    }

    /** host[:port] as the browser reached the registry: what clients pull from. */
    private static String registryHost(Exchange ex) {
        String host = ex.header("Host");
        return host == null || !host.matches("[A-Za-z0-9.:\\[\\]_-]+") ? "registry.example" : host;
    }

    private static String first(Map<String, List<String>> form, String name) {
        List<String> v = form == null ? null : form.get(name);
        return v == null || v.isEmpty() ? "" : v.getFirst();
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** A domain message ("no user 'x'") as a sentence: capital first letter, a full stop at the end. */
    static String sentence(String message) {
        return sentence(message, Map.of());
    }

    /** As {@link #sentence(String)}, but a name the form sent that starts the message keeps its case ("alice is…"). */
    static String sentence(String message, Map<String, List<String>> form) {
        if (message == null || message.isBlank()) {
            return "That did not work.";
        }
        boolean startsWithName = form != null && form.values().stream().flatMap(List::stream)
                .anyMatch(v -> !v.isBlank() && message.startsWith(v.trim() + " "));
        String s = startsWithName ? message : Character.toUpperCase(message.charAt(0)) + message.substring(1);
        return s.endsWith(".") ? s : s + ".";
    }

    private static String article(String role) {
        return (role.startsWith("a") || role.startsWith("o") ? "an " : "a ") + role;
    }

    // ---- domain shortcuts ----

    private RepositoryBrowser browser() {
        return registry.browser();
    }

    /** The registry's access policy, asked the management API's question about the session's user. */
    private boolean permits(Call call, Permission permission, String target) {
        return auth.policy().decide(new ApiAccessRequest(permission, target, null, call.user(),
                call.ex().remoteAddress(), call.userAgent())) instanceof AccessDecision.Allow;
    }

    /** The administration, its changes recorded in the audit log as made by the signed-in user. */
    private Identities identities(Call call) {
        return auth.identities().as(call.user().actor(call.ex().remoteAddress(), call.userAgent()));
    }

    private RepositoryFilter visible(Principal.User user) {
        return user.visible(false);
    }

    private boolean registryKnows(String repository) {
        return browser().repository(repository).isPresent();
    }

    private boolean isPublic(String repository) {
        return browser().repository(repository).map(RepositoryDao.Summary::isPublic).orElse(false);
    }
}
