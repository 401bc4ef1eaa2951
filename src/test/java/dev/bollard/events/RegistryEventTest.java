package dev.bollard.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.audit.AuditActions;
import dev.bollard.metadata.OutboxDao;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which recorded change becomes which event, with which data; and the event's JSON, keys sorted, read back whole. */
class RegistryEventTest {
    private static final String A = "sha256:" + "a".repeat(64);
    private static final String B = "sha256:" + "b".repeat(64);

    private static Optional<RegistryEvent> of(String action, String repository, String details) {
        return RegistryEvent.fromChange(new OutboxDao.Row(7, 1_765_000_000_000L, action, "user", "alice", "", "",
                repository.contains("/") ? repository.substring(0, repository.indexOf('/')) : null, repository,
                details), 42);
    }

    @Test
    void eachKindOfChangeBecomesItsEvent() {
        assertThat(of(AuditActions.TAG_DELETE, "acme/app", "{\"tag\":\"old\",\"digest\":\"" + A
                + "\",\"reason\":\"retention policy\"}")).get().satisfies(e -> {
                    assertThat(e.type()).isEqualTo(EventTypes.TAG_EXPIRED);
                    assertThat(e.tag()).isEqualTo("old");
                });
        assertThat(of(AuditActions.TAG_DELETE, "acme/app", "{\"tag\":\"old\"}")).get()
                .extracting(RegistryEvent::type).isEqualTo(EventTypes.TAG_DELETED);
        assertThat(of(AuditActions.TAG_RESTORE, "acme/app", "{\"tag\":\"v1\",\"digest\":\"" + A + "\",\"previous\":null}"))
                .get().satisfies(e -> {
                    assertThat(e.type()).isEqualTo(EventTypes.TAG_RESTORED);
                    assertThat(e.data()).containsEntry("previous", null).containsEntry("digest", A);
                });
        assertThat(of(AuditActions.TAG_MOVE, "acme/app", "{\"tag\":\"v1\",\"from\":\"" + A + "\",\"to\":\"" + B + "\"}"))
                .get().extracting(RegistryEvent::data)
                .isEqualTo(Map.of("tag", "v1", "digest", B, "previous", A));
        assertThat(of(AuditActions.PUSH, "acme/app", "{\"reference\":\"" + A + "\",\"digest\":\"" + A + "\"}"))
                .get().satisfies(e -> {
                    assertThat(e.type()).isEqualTo(EventTypes.MANIFEST_PUSHED);
                    assertThat(e.tag()).as("a push by digest names no tag").isNull();
                });
        assertThat(of(AuditActions.MANIFEST_DELETE, "acme/app", "{\"digest\":\"" + A + "\"}")).get()
                .extracting(RegistryEvent::type).isEqualTo(EventTypes.MANIFEST_DELETED);
        assertThat(of(AuditActions.REPO_DELETE, "acme/app", "{}")).get()
                .extracting(RegistryEvent::type).isEqualTo(EventTypes.REPOSITORY_DELETED);
        assertThat(of(AuditActions.IMMUTABLE_RULE_ADD, "acme/app", "{\"pattern\":\"v*\"}")).isEmpty();
        assertThat(of(AuditActions.WEBHOOK_CREATE, "acme/app", "{\"id\":1}")).isEmpty();
    }

    @Test
    void theJsonHasSortedKeysAndReadsBackWhole() {
        RegistryEvent e = of(AuditActions.TAG_MOVE, "acme/app", "{\"to\":\"" + B + "\",\"tag\":\"v1\",\"from\":\"" + A
                + "\"}").orElseThrow();
        String json = e.toJson();
        assertThat(json).isEqualTo("{\"actor\":{\"kind\":\"user\",\"name\":\"alice\"},\"data\":{\"digest\":\"" + B
                + "\",\"previous\":\"" + A + "\",\"tag\":\"v1\"},\"id\":\"42\",\"namespace\":\"acme\","
                + "\"repository\":\"acme/app\",\"sequence\":42,\"time\":\"2025-12-06T05:46:40Z\",\"type\":\"tag.moved\"}");
        assertThat(RegistryEvent.fromJson(json)).isEqualTo(e);
    }
}
