package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.audit.AuditLog;
import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import dev.bollard.testing.Cli;
import java.nio.file.Path;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bollard audit verify}: exit 0 on an intact log; 1, naming the entries, after edits and deletions in SQL. */
class AuditVerifyCommandTest {
    @TempDir
    Path dir;

    private void withDatabase(java.util.function.Consumer<Database> work) {
        BollardConfig config = BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0);
        try (Database db = Database.open(config.database())) {
            work.accept(db);
        }
    }

    private static void sql(Database db, String statement) {
        db.inTransaction((Handle h) -> h.createUpdate(statement).execute());
    }

    @Test
    void verifyReportsAnIntactLogAndEveryTamperedEntry() {
        withDatabase(db -> {
            try (AuditLog log = new AuditLog(db, 10)) {
                for (int i = 0; i < 12; i++) {
                    log.record(AuditEvent.onRepository(new Actor(Actor.Kind.USER, "alice", "10.1.2.3", "skopeo/1.9"),
                            AuditActions.PULL, "alice/app", Map.of("n", i)));
                }
            }
        });
        String data = dir.resolve("data").toString();
        Cli.Result ok = Cli.run("audit", "verify", "--data", data);
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("audit log intact: 12 entries");
        Cli.Result jsonl = Cli.run("audit", "export", "--data", data);
        assertThat(jsonl.exit()).as(jsonl.err()).isZero();
        assertThat(jsonl.out().lines()).hasSize(12).allMatch(l -> l.contains("\"action\":\"pull\""));
        Cli.Result csv = Cli.run("audit", "export", "--format", "csv", "--data", data);
        assertThat(csv.out().lines()).hasSize(13).first().asString().startsWith("seq,time,");

        withDatabase(db -> {
            sql(db, "UPDATE audit_log SET ip = '192.0.2.66' WHERE seq = 3");
            sql(db, "DELETE FROM audit_log WHERE seq = 8");
        });
        Cli.Result tampered = Cli.run("audit", "verify", "--data", data);
        assertThat(tampered.exit()).isEqualTo(1);
        assertThat(tampered.out()).contains("TAMPERED: entry 3 was altered").contains("TAMPERED: entry 8 is missing");
        assertThat(tampered.err()).contains("the audit log was tampered with");
    }

    @Test
    void administrationFromTheCommandLineIsAudited() {
        withDatabase(db -> { }); // the registry's database (commands refuse to create one)
        String data = dir.resolve("data").toString();
        Cli.Result created = Cli.run("user", "create", "admin", "--superuser", "--generate-password", "--data", data);
        assertThat(created.exit()).as(created.err()).isZero();
        withDatabase(db -> {
            String actor = db.read((Handle h) -> h.createQuery(
                    "SELECT actor_kind || ' ' || actor || ' ' || action FROM audit_log ORDER BY seq").mapTo(String.class).one());
            assertThat(actor).startsWith("system cli:").endsWith(" " + AuditActions.USER_CREATE);
        });
        assertThat(Cli.run("audit", "verify", "--data", data).exit()).isZero();
    }
}
