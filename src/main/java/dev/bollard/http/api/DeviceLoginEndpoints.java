package dev.bollard.http.api;

import static dev.bollard.auth.Permission.PUBLIC;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.auth.Auth;
import dev.bollard.auth.oidc.OidcSignIn;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CLI logins through an OIDC provider with the OAuth 2.0 device authorization grant (RFC 8628): the CLI starts one,
 * shows the person the provider's URL and code, and polls until they approved it there; then it gets an application
 * token of theirs. Both routes come before any login (PUBLIC): they are throttled per address like logins
 * ({@link Auth#deviceLoginStarting}), and the handle is a sealed secret only the CLI holds.
 */
final class DeviceLoginEndpoints implements ApiEndpoints {
    private final ApiServices services;

    DeviceLoginEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String device = PREFIX + "/oidc/{provider}/device";
        return List.of(
                ApiRoute.post(device, PUBLIC, "Start a CLI login through an OIDC provider (device authorization "
                        + "grant): the answer has the user_code and verification_uri (and _complete) to show the "
                        + "person, expires_in, interval, and the handle to poll with", this::start),
                ApiRoute.post(device + "/token", PUBLIC, "Poll a device login: {handle}; 202 {status: "
                        + "authorization_pending|slow_down, interval} until the person approved it at the provider, "
                        + "then 200 with a new application token of theirs: {user, token_name, token}", this::poll));
    }

    private void start(ApiCall call) throws IOException {
        String provider = call.param("provider");
        Auth auth = auth(provider);
        OidcSignIn oidc = oidc(provider);
        auth.deviceLoginStarting(provider, call.exchange().remoteAddress(), call.exchange().header("User-Agent"));
        OidcSignIn.DeviceStarted started = oidc.startDevice(provider);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("provider", provider);
        body.put("user_code", started.userCode());
        body.put("verification_uri", started.verificationUri().toString());
        if (started.verificationUriComplete() != null) {
            body.put("verification_uri_complete", started.verificationUriComplete().toString());
        }
        body.put("expires_in", started.expiresIn());
        body.put("interval", started.interval());
        body.put("handle", started.handle());
        noStore(call);
        call.send(200, body);
    }

    private void poll(ApiCall call) throws IOException {
        String provider = call.param("provider");
        Auth auth = auth(provider);
        OidcSignIn oidc = oidc(provider);
        String handle = call.text("handle");
        String address = call.exchange().remoteAddress();
        String userAgent = call.exchange().header("User-Agent");
        noStore(call);
        switch (oidc.pollDevice(provider, handle)) {
            case OidcSignIn.DevicePoll.Pending pending -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("status", pending.slowDown() ? "slow_down" : "authorization_pending");
                body.put("interval", pending.interval());
                call.send(202, body);
            }
            case OidcSignIn.DevicePoll.Approved approved -> {
                Auth.DeviceLogin login = auth.deviceLoginApproved(approved.identity(), address, userAgent);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("user", login.user().name());
                body.put("token_name", login.tokenName());
                body.put("token", login.token());
                call.send(200, body);
            }
            case OidcSignIn.DevicePoll.Ended ended -> {
                auth.deviceLoginFailed(provider, ended.message(), ended.reason() == OidcSignIn.DeviceEnd.UNKNOWN,
                        address, userAgent);
                throw switch (ended.reason()) {
                    case UNKNOWN, EXPIRED -> BollardException.invalid(ended.message());
                    case DENIED -> new BollardException(ErrorCode.DENIED, ended.message());
                    case FAILED -> new BollardException(ErrorCode.UNAVAILABLE, ended.message());
                };
            }
        }
    }

    private Auth auth(String provider) {
        if (services.auth() == null) {
            throw BollardException.notFound("access control is off (auth.enabled: false): there are no logins, and no "
                    + "OIDC provider '" + provider + "'");
        }
        return services.auth();
    }

    private OidcSignIn oidc(String provider) {
        if (services.oidc() == null) {
            throw BollardException.notFound("there is no OIDC provider '" + provider + "' (none is configured: "
                    + "auth.oidc.providers)");
        }
        return services.oidc();
    }

    /** The answers carry a handle or a token: no cache may keep them. */
    private static void noStore(ApiCall call) {
        call.exchange().setHeader("Cache-Control", "no-store");
    }
}
