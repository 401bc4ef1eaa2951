package dev.bollard.http.api;

import dev.bollard.auth.Permission;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One route of the management API: method, path template, the permission it requires, a one-line summary (for the
 * OpenAPI document) and its handler.
 * <p>Path templates name parameters in braces: {@code {org}} matches one path segment, {@code {repository*}} one or
 * more (repository names contain slashes); what follows it begins with {@code /-/}. The permission's target is the path parameter {@link #targetParameter}
 * names: {@code {user}} for SELF, {@code {org}} for ORG_*, {@code {namespace}} for NAMESPACE_ADMIN and
 * {@code {repository*}} for REPO_*.
 */
public record ApiRoute(String method, String path, Permission permission, String summary, ApiHandler handler) {
    private static final Pattern PARAMETER = Pattern.compile("\\{([a-z]+)(\\*?)}");
    /**
     * What {@code {repository*}} matches: one or more segments, none of them {@code -}. A repository's sub-resources
     * follow {@code /-/} ({@code …/repositories/acme/tools/-/permissions}), which no repository name contains (its
     * components begin with a letter or digit), so a path means one thing whatever the repository is called —
     * {@code acme/tools/permissions} is a repository, {@code acme/tools/-/permissions} its grants.
     */
    private static final String SEGMENTS = "((?:(?!-(?:/|$))[^/]+)(?:/(?!-(?:/|$))[^/]+)*)";

    public ApiRoute {
        if (!path.startsWith(ManagementApi.PREFIX + "/")) {
            throw new IllegalArgumentException("an API path starts with " + ManagementApi.PREFIX + "/: " + path);
        }
        int many = path.indexOf("*}/");
        if (many >= 0 && !path.startsWith("-/", many + 3)) {
            throw new IllegalArgumentException(method + " " + path + ": what follows a {name*} parameter begins with "
                    + "/-/, so that the path stays unambiguous");
        }
        String target = targetParameter(permission);
        if (target != null && !parameters(path).contains(target)) {
            throw new IllegalArgumentException(method + " " + path + " requires " + permission
                    + ", whose target is the path parameter {" + target + "}");
        }
    }

    public static ApiRoute get(String path, Permission permission, String summary, ApiHandler handler) {
        return new ApiRoute("GET", path, permission, summary, handler);
    }

    public static ApiRoute post(String path, Permission permission, String summary, ApiHandler handler) {
        return new ApiRoute("POST", path, permission, summary, handler);
    }

    public static ApiRoute put(String path, Permission permission, String summary, ApiHandler handler) {
        return new ApiRoute("PUT", path, permission, summary, handler);
    }

    public static ApiRoute patch(String path, Permission permission, String summary, ApiHandler handler) {
        return new ApiRoute("PATCH", path, permission, summary, handler);
    }

    public static ApiRoute delete(String path, Permission permission, String summary, ApiHandler handler) {
        return new ApiRoute("DELETE", path, permission, summary, handler);
    }

    /** The path parameter that names what the permission is about; null when it is about nothing in particular. */
    public static @Nullable String targetParameter(Permission permission) {
        return switch (permission) {
            case PUBLIC, AUTHENTICATED, USER, SUPERUSER -> null;
            case SELF -> "user";
            case ORG_MEMBER, ORG_ADMIN -> "org";
            case NAMESPACE_ADMIN -> "namespace";
            case REPO_CREATE, REPO_READ, REPO_WRITE, REPO_ADMIN -> "repository";
        };
    }

    /** The names of the template's parameters, in order. */
    public static List<String> parameters(String template) {
        List<String> names = new ArrayList<>();
        Matcher m = PARAMETER.matcher(template);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The template as a regular expression with one group per parameter. */
    Pattern pattern() {
        StringBuilder regex = new StringBuilder();
        Matcher m = PARAMETER.matcher(path);
        int at = 0;
        while (m.find()) {
            regex.append(Pattern.quote(path.substring(at, m.start())));
            regex.append(m.group(2).isEmpty() ? "([^/]+)" : SEGMENTS);
            at = m.end();
        }
        regex.append(Pattern.quote(path.substring(at)));
        return Pattern.compile(regex.toString());
    }

    /** How specific the template is: routes with more fixed text are tried first. */
    int literalLength() {
        return PARAMETER.matcher(path).replaceAll("").length();
    }

    /** The template in OpenAPI's form: {@code {repository*}} becomes {@code {repository}}. */
    public String openApiPath() {
        return path.replace("*}", "}");
    }
}
