package dev.bollard.http.api;

import static dev.bollard.auth.Permission.NAMESPACE_ADMIN;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.RobotCertificates;
import dev.bollard.auth.RobotTrust;
import dev.bollard.error.BollardException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Robot accounts of a user or an organization; their tokens are shown once, at creation and regeneration. */
final class RobotEndpoints implements ApiEndpoints {
    private final ApiServices services;

    RobotEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String robots = PREFIX + "/namespaces/{namespace}/robots";
        return List.of(
                ApiRoute.get(robots, NAMESPACE_ADMIN, "List the robots of a user or an organization", this::list),
                ApiRoute.post(robots, NAMESPACE_ADMIN,
                        "Create robot <namespace>+<name>: {name}; the token is in the answer, once", this::create),
                ApiRoute.get(robots + "/{robot}", NAMESPACE_ADMIN, "Describe a robot", this::describe),
                ApiRoute.post(robots + "/{robot}/regenerate", NAMESPACE_ADMIN,
                        "Replace a robot's token; the new one is in the answer, once", this::regenerate),
                ApiRoute.delete(robots + "/{robot}", NAMESPACE_ADMIN, "Delete a robot and its grants", this::delete),
                ApiRoute.get(robots + "/{robot}/trust", NAMESPACE_ADMIN,
                        "The robot's trust rules: external OIDC issuers whose ID tokens it accepts (keyless robot)",
                        this::listTrust),
                ApiRoute.post(robots + "/{robot}/trust", NAMESPACE_ADMIN, "Trust an external issuer's ID tokens: "
                        + "{issuer, subject (exact, or a prefix ending in *), audience, claims: {name: value}}; the "
                        + "token is then the robot's password at the token endpoint", this::addTrust),
                ApiRoute.delete(robots + "/{robot}/trust/{rule}", NAMESPACE_ADMIN, "Remove a trust rule",
                        this::removeTrust),
                ApiRoute.get(robots + "/{robot}/certificates", NAMESPACE_ADMIN,
                        "The client certificates (mTLS) bound to the robot, by SHA-256 fingerprint",
                        this::listCertificates),
                ApiRoute.post(robots + "/{robot}/certificates", NAMESPACE_ADMIN, "Bind a client certificate to the "
                        + "robot: {certificate: PEM}; a client presenting it over TLS (server.tls.client-auth) gets the "
                        + "robot's access at the token endpoint without a password", this::addCertificate),
                ApiRoute.delete(robots + "/{robot}/certificates/{fingerprint}", NAMESPACE_ADMIN,
                        "Unbind a client certificate (by its SHA-256 fingerprint, hex)", this::removeCertificate));
    }

    private void listCertificates(ApiCall call) throws IOException {
        call.sendAll(services.identities().robotCertificates().list(robot(call)), RobotCertificates.Binding::fingerprint,
                RobotEndpoints::certificateJson);
    }

    private void addCertificate(ApiCall call) throws IOException {
        RobotCertificates.Binding binding = services.identitiesAs(call).robotCertificates().add(robot(call),
                call.text("certificate"));
        call.send(201, certificateJson(binding));
    }

    private void removeCertificate(ApiCall call) {
        String full = robot(call);
        if (!services.identitiesAs(call).robotCertificates().remove(full, call.param("fingerprint"))) {
            throw BollardException.notFound("no certificate " + call.param("fingerprint") + " is bound to robot " + full);
        }
        call.noContent();
    }

    private static Map<String, Object> certificateJson(RobotCertificates.Binding b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fingerprint", b.fingerprint());
        m.put("robot", b.robot());
        m.put("subject", b.subject());
        m.put("not_after", b.notAfter().toString());
        return m;
    }

    private void listTrust(ApiCall call) throws IOException {
        call.sendAll(services.identities().robotTrust().list(robot(call)), r -> Long.toString(r.id()),
                RobotEndpoints::trustJson);
    }

    private void addTrust(ApiCall call) throws IOException {
        String full = robot(call);
        Map<String, String> claims = new LinkedHashMap<>();
        JsonNode given = call.body().get("claims");
        if (given != null && !given.isNull()) {
            if (!given.isObject()) {
                throw BollardException.invalid("the field \"claims\" must be an object of claim names to values");
            }
            for (Map.Entry<String, JsonNode> c : given.properties()) {
                if (!c.getValue().isValueNode() || c.getValue().isNull()) {
                    throw BollardException.invalid("the claim \"" + c.getKey() + "\" must have a string value");
                }
                claims.put(c.getKey(), c.getValue().asText());
            }
        }
        String audience = call.optionalText("audience");
        RobotTrust.Rule rule = services.identitiesAs(call).robotTrust().add(full, call.text("issuer"),
                call.text("subject"), audience == null ? services.config().auth().service() : audience, claims);
        call.send(201, trustJson(rule));
    }

    private void removeTrust(ApiCall call) {
        long id;
        try {
            id = Long.parseLong(call.param("rule"));
        } catch (NumberFormatException e) {
            throw BollardException.notFound("no trust rule '" + call.param("rule") + "'");
        }
        if (!services.identitiesAs(call).robotTrust().remove(robot(call), id)) {
            throw BollardException.notFound("robot " + robot(call) + " has no trust rule " + id);
        }
        call.noContent();
    }

    private static Map<String, Object> trustJson(RobotTrust.Rule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("robot", r.robot());
        m.put("issuer", r.issuer());
        m.put("subject", r.subject());
        m.put("audience", r.audience());
        m.put("claims", r.claims());
        return m;
    }

    /** The full name of the robot the path names: {@code <namespace>+<robot>}, which must exist. */
    private String robot(ApiCall call) {
        String full = call.param("namespace") + "+" + call.param("robot");
        if (!services.identities().robots().exists(full)) {
            throw BollardException.notFound("no robot '" + full + "'");
        }
        return full;
    }

    private void list(ApiCall call) throws IOException {
        call.sendAll(services.identities().robots().list(call.param("namespace")), r -> r, r -> Map.of("name", r));
    }

    private void create(ApiCall call) throws IOException {
        String name = call.text("name");
        String token = services.identitiesAs(call).robots().create(call.param("namespace"), name);
        call.send(201, Map.of("name", call.param("namespace") + "+" + name, "token", token));
    }

    private void describe(ApiCall call) throws IOException {
        call.send(200, Map.of("name", robot(call)));
    }

    private void regenerate(ApiCall call) throws IOException {
        String full = robot(call);
        call.send(200, Map.of("name", full, "token", services.identitiesAs(call).robots().regenerateToken(full)));
    }

    private void delete(ApiCall call) {
        services.identitiesAs(call).robots().delete(robot(call));
        call.noContent();
    }
}
