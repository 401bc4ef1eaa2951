package dev.bollard.http.ui;

import dev.bollard.audit.AuditLog;
import dev.bollard.auth.AccessDecision;
import dev.bollard.auth.ApiAccessRequest;
import dev.bollard.auth.Auth;
import dev.bollard.auth.Identities;
import dev.bollard.auth.Permission;
import dev.bollard.auth.Principal;
import dev.bollard.error.BollardException;
import dev.bollard.http.Exchange;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.registry.PullStats;
import dev.bollard.registry.Registry;
import dev.bollard.registry.RepositoryAbout;
import dev.bollard.registry.RepositoryBrowser;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.Utf8ByteOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What every page of the UI works with: the domain's services, the templates, the access policy's answer for the
 * signed-in user, and the ways a page answers (a rendered page, a problem in words, a redirect).
 */
final class Ui {
    static final int LIST_LIMIT = 200;

    final Registry registry;
    final Auth auth;
    final AuditLog audit;
    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);

    Ui(Registry registry, Auth auth, AuditLog audit) {
        this.registry = registry;
        this.auth = auth;
        this.audit = audit;
    }

    void render(Call call, int status, String template, Frame frame, Object page) {
        render(call.ex(), status, template, frame, page);
    }

    void render(Exchange ex, int status, String template, Frame frame, Object page) {
        Utf8ByteOutput out = new Utf8ByteOutput();
        templates.render(template, Map.of("frame", frame, "page", page), out);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(out.getContentLength());
        try {
            out.writeTo(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ex.setHeader("Cache-Control", "no-store");
        ex.sendBytes(status, "text/html; charset=utf-8", bytes.toByteArray());
    }

    /** A problem page for the request, in words; the page's own title gives way to the problem's. */
    void problem(Call call, int status, String message) {
        problem(call.ex(), call.frame(), status, message);
    }

    void problem(Exchange ex, Frame frame, int status, String message) {
        render(ex, status, "problem.jte", frame.titled(switch (status) {
            case 400 -> "Cannot do that";
            case 403 -> "Not allowed";
            case 404 -> "Not found";
            case 405 -> "Not here";
            case 503 -> "Unavailable for a moment";
            default -> "Something went wrong";
        }, ""), new Pages.Problem(status, message));
    }

    static void redirect(Exchange ex, String location) {
        ex.setHeader("Location", location);
        ex.setHeader("Cache-Control", "no-store");
        ex.sendEmpty(303);
    }

    /** host[:port] as the browser reached the registry: what clients pull from. */
    static String registryHost(Exchange ex) {
        String host = ex.plainHost();
        return host == null ? "registry.example" : host;
    }

    static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** The UI's answer to a refusal: the page again, the message as a sentence in its error box. */
    static Frame refused(Frame frame, BollardException e, @Nullable Map<String, List<String>> form) {
        return frame.withError(sentence(e.getMessage(), form));
    }

    /** A domain message ("no user 'x'") as a sentence: capital first letter, a full stop at the end. */
    static String sentence(@Nullable String message) {
        return sentence(message, Map.of());
    }

    /** As {@link #sentence(String)}, but a name the form sent that starts the message keeps its case ("bob is…"). */
    static String sentence(@Nullable String message, @Nullable Map<String, List<String>> form) {
        if (message == null || message.isBlank()) {
            return "That did not work.";
        }
        boolean startsWithName = form != null && form.values().stream().flatMap(List::stream)
                .anyMatch(v -> !v.isBlank() && message.startsWith(v.trim() + " "));
        String s = startsWithName ? message : Character.toUpperCase(message.charAt(0)) + message.substring(1);
        return s.endsWith(".") ? s : s + ".";
    }

    RepositoryBrowser browser() {
        return registry.browser();
    }

    /** The registry's access policy, asked the management API's question about the session's user. */
    boolean permits(Call call, Permission permission, @Nullable String target) {
        return auth.policy().decide(new ApiAccessRequest(permission, target, null, call.user(),
                call.ex().remoteAddress(), call.userAgent())) instanceof AccessDecision.Allow;
    }

    /** The administration, its changes recorded in the audit log as made by the signed-in user. */
    Identities identities(Call call) {
        return auth.identities().as(call.actor());
    }

    /** The repositories {@code user} may see whose name contains {@code search}, by name, at most {@code limit}. */
    List<Pages.RepositoryRow> repositories(Principal.User user, String search, int limit) {
        List<RepositoryDao.Summary> found = browser().repositories(user.visible(false), search, limit);
        List<String> names = found.stream().map(RepositoryDao.Summary::name).toList();
        Map<String, List<RepositoryAbout.Label>> labels = registry.about().labelsOf(names);
        Map<String, PullStats.Count> pulls = registry.pulls().ofRepositories(names);
        return found.stream().map(s -> row(s, labels.getOrDefault(s.name(), List.of()),
                pulls.getOrDefault(s.name(), PullStats.Count.NONE))).toList();
    }

    boolean registryKnows(String repository) {
        return browser().repository(repository).isPresent();
    }

    boolean isPublic(String repository) {
        return browser().repository(repository).map(RepositoryDao.Summary::isPublic).orElse(false);
    }

    // The browser answers with the database's rows; the templates get the UI's own records.
    private static Pages.RepositoryRow row(RepositoryDao.Summary s, List<RepositoryAbout.Label> labels,
                                           PullStats.Count pulls) {
        return new Pages.RepositoryRow(s.name(), s.isPublic(), s.tags(), s.size(), s.lastPush(),
                labels.stream().map(RepositoryAbout.Label::toString).toList(), pulls.pulls(), pulls.lastPulledAt());
    }
}
