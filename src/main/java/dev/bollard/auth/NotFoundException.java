package dev.bollard.auth;

/** The user, organization, team, robot, token or repository named does not exist. */
public final class NotFoundException extends IllegalArgumentException {
    public NotFoundException(String message) {
        super(message);
    }
}
