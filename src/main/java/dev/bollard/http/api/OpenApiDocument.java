package dev.bollard.http.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.auth.Permission;
import dev.bollard.json.Json;
import java.util.List;
import java.util.Locale;

/**
 * The OpenAPI 3 document of the management API, generated from the route table so that it cannot drift from the
 * routes served. Each operation carries its required permission as {@code x-bollard-permission}. Routes whose summary
 * starts with "List" are paginated and document {@code limit} and {@code cursor}.
 */
final class OpenApiDocument {
    private OpenApiDocument() {
    }

    static byte[] of(List<ApiRoute> routes) {
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("openapi", "3.0.3");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Bollard management API");
        info.put("version", "1");
        info.put("description", "Users, organizations, teams, robots, application tokens, repositories, permissions "
                + "and the audit log. Authenticate with HTTP Basic (password, application token or robot token), "
                + "`Authorization: Bearer <application token>`, or a web UI session. Errors are "
                + "`{\"code\": …, \"message\": …}`; lists return `{\"items\": […], \"next_cursor\": …}` and a "
                + "`Link: <…>; rel=\"next\"` header.");
        ObjectNode components = doc.putObject("components");
        ObjectNode schemes = components.putObject("securitySchemes");
        schemes.putObject("basic").put("type", "http").put("scheme", "basic");
        schemes.putObject("bearer").put("type", "http").put("scheme", "bearer")
                .put("description", "an application token (bollard_app_…)");
        schemes.putObject("session").put("type", "apiKey").put("in", "cookie").put("name", "bollard_session");
        ObjectNode error = components.putObject("schemas").putObject("Error");
        error.put("type", "object");
        error.putArray("required").add("code").add("message");
        ObjectNode props = error.putObject("properties");
        props.putObject("code").put("type", "string");
        props.putObject("message").put("type", "string");

        ObjectNode paths = doc.putObject("paths");
        for (ApiRoute r : routes) {
            ObjectNode item = paths.has(r.openApiPath()) ? (ObjectNode) paths.get(r.openApiPath())
                    : paths.putObject(r.openApiPath());
            ObjectNode op = item.putObject(r.method().toLowerCase(Locale.ROOT));
            op.put("summary", r.summary());
            op.put("operationId", operationId(r));
            op.put("x-bollard-permission", r.permission().name());
            ArrayNode parameters = op.putArray("parameters");
            for (String name : ApiRoute.parameters(r.path())) {
                ObjectNode p = parameters.addObject();
                p.put("name", name).put("in", "path").put("required", true);
                p.putObject("schema").put("type", "string");
                if (r.path().contains("{" + name + "*}")) {
                    p.put("description", "may contain slashes, sent as they are");
                }
            }
            if (r.method().equals("GET") && r.summary().startsWith("List")) {
                ObjectNode limit = parameters.addObject();
                limit.put("name", "limit").put("in", "query").put("required", false);
                limit.putObject("schema").put("type", "integer").put("minimum", 1).put("maximum", ApiCall.MAX_LIMIT)
                        .put("default", ApiCall.DEFAULT_LIMIT);
                ObjectNode cursor = parameters.addObject();
                cursor.put("name", "cursor").put("in", "query").put("required", false);
                cursor.putObject("schema").put("type", "string");
            }
            if (List.of("POST", "PUT", "PATCH").contains(r.method())) {
                op.putObject("requestBody").put("required", false).putObject("content")
                        .putObject("application/json").putObject("schema").put("type", "object");
            }
            ArrayNode security = op.putArray("security");
            if (r.permission() == Permission.PUBLIC) {
                security.addObject();
            }
            security.addObject().putArray("basic");
            security.addObject().putArray("bearer");
            security.addObject().putArray("session");
            ObjectNode responses = op.putObject("responses");
            responses.putObject("2XX").put("description", "success: 200 with a JSON body, 201 when something was "
                    + "created, 204 when there is nothing to answer");
            responses.putObject("default").put("description", "an error").putObject("content")
                    .putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Error");
        }
        try {
            return Json.PRETTY.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String operationId(ApiRoute r) {
        StringBuilder id = new StringBuilder(r.method().toLowerCase(Locale.ROOT));
        for (String part : r.path().substring(ManagementApi.PREFIX.length()).split("[/{}*.-]+", -1)) {
            if (!part.isEmpty()) {
                id.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return id.toString();
    }
}
