package dev.bollard.http.ui;

import dev.bollard.auth.Identities;
import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One robot's page: the external issuers whose ID tokens it accepts (keyless robot) and the client certificates bound
 * to it (mTLS). It hangs off an organization's Robots tab and off a user's settings. Changes go through
 * {@link dev.bollard.auth.RobotTrust} and {@link dev.bollard.auth.RobotCertificates}, the services of the
 * {@code /api/v1/namespaces/{namespace}/robots/{robot}/trust|certificates} routes, as the signed-in user, after the
 * same permission check ({@code NAMESPACE_ADMIN} on the robot's owner).
 */
final class RobotPages {
    private final Ui ui;

    RobotPages(Ui ui) {
        this.ui = ui;
    }

    /**
     * Where the page is: the robot's owner (a user or an organization), its tabs and navigation entry, and the robot
     * list it comes from ({@code back}).
     */
    record Place(String owner, List<Pages.Tab> tabs, String back, String nav) {
    }

    /** {@code name}: the robot's name after {@code <owner>+}. */
    void page(Call call, Place place, String name) {
        String robot = place.owner() + "+" + name;
        if (!ui.permits(call, Permission.NAMESPACE_ADMIN, place.owner())) {
            ui.problem(call, 403, "Only administrators of " + place.owner() + " may manage its robots.");
            return;
        }
        if (name.isEmpty() || name.contains("/") || !ui.auth.identities().robots().exists(robot)) {
            ui.problem(call, 404, "There is no robot " + robot + ".");
            return;
        }
        Frame frame = call.frame().titled(robot, place.nav());
        int status = 200;
        if (call.isPost()) {
            Identities identities = ui.identities(call);
            try {
                frame = frame.withNotice(switch (call.field("action")) {
                    case "add-trust" -> {
                        String audience = call.field("audience");
                        long id = identities.robotTrust().add(robot, call.field("issuer"), call.field("subject"),
                                audience.isEmpty() ? ui.auth.service() : audience, claims(call.field("claims"))).id();
                        yield "Rule " + id + " was added: " + robot + " now accepts the issuer's matching tokens.";
                    }
                    case "remove-trust" -> {
                        long id = rule(call.field("rule"));
                        if (!identities.robotTrust().remove(robot, id)) {
                            throw BollardException.notFound("robot " + robot + " has no trust rule " + id);
                        }
                        yield "Rule " + id + " was removed.";
                    }
                    case "add-certificate" -> "The certificate " + identities.robotCertificates()
                            .add(robot, call.field("certificate")).fingerprint() + " is now bound to " + robot + ".";
                    case "remove-certificate" -> {
                        String fingerprint = call.field("fingerprint");
                        if (!identities.robotCertificates().remove(robot, fingerprint)) {
                            throw BollardException.notFound("no certificate " + fingerprint + " is bound to robot "
                                    + robot);
                        }
                        yield "The certificate " + fingerprint + " is no longer bound to " + robot + ".";
                    }
                    default -> throw BollardException.invalid("unknown action '" + call.field("action") + "'");
                });
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        ui.render(call, status, "robot.jte", frame, new Pages.Robot(robot, place.tabs(), place.back(),
                ui.auth.identities().robotTrust().list(robot), ui.auth.identities().robotCertificates().list(robot),
                ui.auth.service()));
    }

    /** The claims a rule requires, one {@code name=value} a line (as the CLI's {@code --claim name=value}). */
    static Map<String, String> claims(String text) {
        Map<String, String> claims = new LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            if (line.isBlank()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw BollardException.invalid("each required claim is a line name=value, not '" + line.strip() + "'");
            }
            claims.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        return claims;
    }

    private static long rule(String id) {
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw BollardException.notFound("no trust rule '" + id + "'");
        }
    }
}
