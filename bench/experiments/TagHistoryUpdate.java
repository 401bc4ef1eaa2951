// Reproduces finding 5 of docs/benchmarks.md outside Bollard: with Bollard's schema (the Flyway migration) and its H2
// URL settings, times the statement TagDao.endHistory runs for every new tag while tags are added to one repository.
//
//   java -cp ~/.m2/repository/com/h2database/h2/2.5.252/h2-2.5.252.jar bench/experiments/TagHistoryUpdate.java [N]
//
// Prints the mean UPDATE time per 2,000 tags and the plan H2 reports for the same statement with literal values.
// Uses a fresh database in a temporary directory, deleted at the end.

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.Comparator;

public class TagHistoryUpdate {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        Path root = Path.of("").toAbsolutePath(); // run from the repository's root
        Path migration = root.resolve("src/main/resources/db/migration/V1__core_registry.sql");
        Path dir = Files.createTempDirectory("bollard-h2-experiment");
        String url = "jdbc:h2:file:" + dir.resolve("db") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
        String update = "UPDATE tag_history SET lifetime_end = ? WHERE repository_id = ? AND name = ? AND lifetime_end IS NULL";
        try (Connection c = DriverManager.getConnection(url)) {
            for (String s : Files.readString(migration).split(";")) {
                String sql = s.replaceAll("(?m)^--.*$", "").trim();
                if (!sql.isEmpty()) {
                    c.createStatement().execute(sql);
                }
            }
            c.createStatement().execute("INSERT INTO repository (name, created_at) VALUES ('bench/tags', CURRENT_TIMESTAMP)");
            PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO tag_history (repository_id, name, manifest_digest, lifetime_start) VALUES (1, ?, 'sha256:x', ?)");
            long spent = 0;
            for (int i = 0; i < n; i++) {
                String tag = String.format("tag-%06d", i);
                Timestamp now = new Timestamp(System.currentTimeMillis());
                long t0 = System.nanoTime();
                try (PreparedStatement u = c.prepareStatement(update)) { // as JDBI does: prepared per use
                    u.setTimestamp(1, now);
                    u.setLong(2, 1);
                    u.setString(3, tag);
                    u.executeUpdate();
                }
                spent += System.nanoTime() - t0;
                insert.setString(1, tag);
                insert.setTimestamp(2, now);
                insert.executeUpdate();
                if ((i + 1) % 2000 == 0) {
                    ResultSet plan = c.createStatement().executeQuery("EXPLAIN UPDATE tag_history SET lifetime_end = "
                            + "CURRENT_TIMESTAMP WHERE repository_id = 1 AND name = 'tag-x' AND lifetime_end IS NULL");
                    plan.next();
                    String p = plan.getString(1).replaceAll("\\s+", " ");
                    System.out.printf("%7d history rows: UPDATE %.3f ms on average over the last 2,000; EXPLAIN with literals: %s%n",
                            i + 1, spent / 2000 / 1e6, p.substring(p.indexOf("/*"), p.indexOf("*/") + 2));
                    spent = 0;
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
