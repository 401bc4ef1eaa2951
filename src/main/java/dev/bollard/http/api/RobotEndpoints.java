package dev.bollard.http.api;

import static dev.bollard.auth.Permission.NAMESPACE_ADMIN;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.error.BollardException;
import java.io.IOException;
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
                ApiRoute.delete(robots + "/{robot}", NAMESPACE_ADMIN, "Delete a robot and its grants", this::delete));
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
