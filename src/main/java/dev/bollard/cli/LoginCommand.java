package dev.bollard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.json.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bollard login --device --provider NAME URL}: a CLI login through one of the registry's OIDC providers with
 * the device authorization grant. The registry starts it at the provider; this command shows the page and code the
 * person approves there (in any browser, on any device), polls the registry until they did, and stores the
 * application token it then gets in the auth file docker, podman, skopeo and buildah read. No password or secret is
 * typed here or copied from the web UI. Talks to the registry over HTTP only: no configuration or database.
 */
@Command(name = "login", description = {"Log in to a registry through its single sign-on (OIDC device login) and "
        + "store an application token for docker, podman, skopeo and buildah.",
        "Example: bollard login --device --provider keycloak https://registry.example.org"})
final class LoginCommand implements Callable<Integer> {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    @Nullable CommandSpec spec;

    @Option(names = "--device", description = "log in with the OAuth 2.0 device authorization grant: open the page "
            + "shown, in any browser, and approve there (the only kind of login this command does)")
    boolean device;

    @Option(names = "--provider", required = true, paramLabel = "NAME",
            description = "the registry's OIDC provider to sign in through (its id in auth.oidc.providers)")
    String provider = "";

    @Option(names = "--authfile", paramLabel = "FILE", description = "the auth file to store the credential in "
            + "(default: $REGISTRY_AUTH_FILE, else ~/.docker/config.json, which docker reads and podman, skopeo and "
            + "buildah fall back to)")
    @Nullable Path authFile;

    @Option(names = "--print-token", description = "print the application token on standard output instead of "
            + "storing it (for `docker login -u USER --password-stdin` or a CI secret)")
    boolean printToken;

    @Parameters(index = "0", paramLabel = "URL", description = "the registry: https://registry.example.org, or "
            + "http://127.0.0.1:5000 for a registry serving plain HTTP on loopback")
    String url = "";

    @Override
    public Integer call() throws Exception {
        if (!device) {
            throw new CliErrors.Failure("only device logins are done by this command: add --device (a password "
                    + "login is `docker login`, `podman login` or `skopeo login`)", CliErrors.FAILED);
        }
        URI base = base(url);
        String registry = base.getAuthority();
        PrintWriter out = spec().commandLine().getOut();
        PrintWriter err = spec().commandLine().getErr();
        HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();
        String deviceUrl = base.resolve("/api/v1/oidc/" + encode(provider) + "/device").toString();

        JsonNode started = post(http, deviceUrl, "{}", registry).body();
        String handle = started.path("handle").asText("");
        if (handle.isEmpty()) {
            throw new CliErrors.Failure(registry + " started no device login (its answer has no handle)", CliErrors.FAILED);
        }
        long expiresIn = started.path("expires_in").asLong(600);
        long interval = Math.max(1, started.path("interval").asLong(5));
        String complete = started.path("verification_uri_complete").asText("");
        // The prompt goes to standard error when standard output is the token.
        PrintWriter prompt = printToken ? err : out;
        prompt.println("To log in to " + registry + ", open this page in a browser and sign in:");
        prompt.println("  " + (complete.isEmpty() ? started.path("verification_uri").asText() : complete));
        prompt.println((complete.isEmpty() ? "and enter the code " : "It shows the code ")
                + started.path("user_code").asText() + " (it expires in " + (expiresIn + 59) / 60 + " min).");
        prompt.println("Waiting for the approval ...");
        prompt.flush();

        String body = Json.MAPPER.writeValueAsString(Map.of("handle", handle));
        long end = System.nanoTime() + Duration.ofSeconds(expiresIn).toNanos();
        while (true) {
            Thread.sleep(Duration.ofSeconds(interval));
            if (System.nanoTime() - end > 0) {
                throw new CliErrors.Failure("the code expired before it was approved; run the command again",
                        CliErrors.FAILED);
            }
            Answer answer = post(http, deviceUrl + "/token", body, registry);
            if (answer.status() == 202) {
                interval = Math.max(interval, answer.body().path("interval").asLong(interval));
                continue;
            }
            String user = answer.body().path("user").asText("");
            String token = answer.body().path("token").asText("");
            if (user.isEmpty() || token.isEmpty()) {
                throw new CliErrors.Failure(registry + " answered the login without a user or token",
                        CliErrors.FAILED);
            }
            String tokenName = answer.body().path("token_name").asText("");
            if (printToken) {
                err.println("Logged in to " + registry + " as " + user + " (application token '" + tokenName + "').");
                err.flush();
                out.println(token);
                out.flush();
                return 0;
            }
            Path file = store(registry, user, token);
            out.println("Logged in to " + registry + " as " + user + " (application token '" + tokenName
                    + "'; revoke it in the web UI's Settings).");
            out.println("Stored in " + file + ".");
            out.flush();
            return 0;
        }
    }

    private CommandSpec spec() {
        if (spec == null) {
            throw new IllegalStateException("picocli sets the spec");
        }
        return spec;
    }

    /** The registry's base URL: as given, or https:// before a bare host[:port]. */
    private static URI base(String given) {
        String u = given.contains("://") ? given : "https://" + given;
        try {
            URI uri = URI.create(u.endsWith("/") ? u : u + "/");
            if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CliErrors.Failure("'" + given + "' is not a registry URL (https://registry.example.org or "
                    + "http://127.0.0.1:5000)", CliErrors.FAILED);
        }
    }

    private record Answer(int status, JsonNode body) {
    }

    /** POSTs JSON; a 2xx answer's JSON, or a failure with the registry's message. */
    private static Answer post(HttpClient http, String target, String json, String registry) throws InterruptedException {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(target)).timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "application/json").header("User-Agent", "bollard-cli")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new CliErrors.Failure("cannot connect to " + registry + " (" + target + "): is the URL right and the "
                    + "registry running?", CliErrors.FAILED, e);
        } catch (HttpTimeoutException e) {
            throw new CliErrors.Failure(registry + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s",
                    CliErrors.FAILED, e);
        } catch (IOException e) {
            throw new CliErrors.Failure("cannot talk to " + registry + ": " + e.getMessage()
                    + (target.startsWith("https:") ? " (a registry serving plain HTTP needs an http:// URL; one whose "
                    + "certificate the JDK does not trust needs its CA in the JDK's trust store or javax.net.ssl.trustStore)"
                    : ""), CliErrors.FAILED, e);
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            throw new CliErrors.Failure(registry + " answered HTTP " + r.statusCode() + " without JSON: is it a Bollard "
                    + "registry, and the URL its base URL?", CliErrors.FAILED);
        }
        if (r.statusCode() / 100 == 2) {
            return new Answer(r.statusCode(), body);
        }
        String message = body.path("message").asText("HTTP " + r.statusCode());
        String hint = switch (r.statusCode()) {
            case 403 -> "the login was refused: ";
            case 429 -> "too many attempts: ";
            case 503 -> "the provider or the registry is unavailable: ";
            default -> "";
        };
        throw new CliErrors.Failure(registry + ": " + hint + message, CliErrors.FAILED);
    }

    /** Adds the credential to the auth file (the format docker's config.json and containers-auth.json share). */
    private Path store(String registry, String user, String token) throws IOException {
        Path file = authFile != null ? Main.of(spec()).resolve(authFile) : defaultAuthFile();
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (Files.exists(file)) {
            JsonNode existing;
            try {
                existing = Json.MAPPER.readTree(Files.readString(file));
            } catch (IOException e) {
                throw new CliErrors.Failure(file + " is not a JSON auth file (" + e.getMessage() + "); give another "
                        + "with --authfile, or use --print-token", CliErrors.FAILED, e);
            }
            if (existing instanceof ObjectNode o) {
                root = o;
            }
        }
        if (root.path("credsStore").isTextual() && authFile == null) {
            spec().commandLine().getErr().println("note: " + file + " names a credential store ('"
                    + root.path("credsStore").asText() + "'), which docker asks instead of this file; run `bollard "
                    + "login --print-token …` and pass the token to `docker login -u " + user + " --password-stdin`");
        }
        ObjectNode auths = root.path("auths") instanceof ObjectNode a ? a : root.putObject("auths");
        auths.putObject(registry).put("auth", Base64.getEncoder()
                .encodeToString((user + ":" + token).getBytes(StandardCharsets.UTF_8)));
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".auth", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, Json.PRETTY.writeValueAsString(root) + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    private static Path defaultAuthFile() {
        String env = System.getenv("REGISTRY_AUTH_FILE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
