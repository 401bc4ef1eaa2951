package dev.bollard.http.ui;

import dev.bollard.auth.Identities;
import dev.bollard.error.BollardException;
import org.jspecify.annotations.Nullable;

/**
 * A robot created, given a new token (shown once) or deleted, from the robot form that a user's settings and an
 * organization's page share; {@code token} null when there is none to show.
 */
record RobotChange(@Nullable String robot, @Nullable String token, String notice) {

    /** Creates, regenerates or deletes robot {@code owner+<robot field>}, as the form's action says. */
    static RobotChange apply(Identities identities, String owner, Call call) {
        String robot = owner + "+" + call.field("robot");
        return switch (call.field("action")) {
            case "create-robot" -> new RobotChange(robot, identities.robots().create(owner, call.field("robot")),
                    "Robot " + robot + " was created.");
            case "regenerate-robot" -> new RobotChange(robot, identities.robots().regenerateToken(robot),
                    "Robot " + robot + " has a new token; the old one no longer works.");
            case "delete-robot" -> {
                identities.robots().delete(robot);
                yield new RobotChange(null, null, "Robot " + robot + " was deleted.");
            }
            default -> throw BollardException.invalid("unknown action");
        };
    }
}
