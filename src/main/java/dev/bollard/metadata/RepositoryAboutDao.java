package dev.bollard.metadata;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/** A repository's description and labels (V21). */
public final class RepositoryAboutDao {
    private RepositoryAboutDao() {
    }

    /** A label: {@code value} is null for a plain word. */
    public record Label(String name, @Nullable String value) {
    }

    public static Optional<String> description(Handle h, long repositoryId) {
        return h.createQuery("SELECT description FROM repository WHERE id = :id").bind("id", repositoryId)
                .mapTo(String.class).findOne();
    }

    public static void setDescription(Handle h, long repositoryId, String description) {
        h.createUpdate("UPDATE repository SET description = :d WHERE id = :id")
                .bind("d", description).bind("id", repositoryId).execute();
    }

    /** The repository's labels by name. */
    public static List<Label> labels(Handle h, long repositoryId) {
        return h.createQuery("SELECT name, label_value FROM repository_label WHERE repository_id = :id ORDER BY name")
                .bind("id", repositoryId).map((rs, ctx) -> new Label(rs.getString(1), rs.getString(2))).list();
    }

    /** Replaces the repository's labels with {@code labels}. */
    public static void setLabels(Handle h, long repositoryId, List<Label> labels) {
        h.createUpdate("DELETE FROM repository_label WHERE repository_id = :id").bind("id", repositoryId).execute();
        for (Label l : labels) {
            h.createUpdate("INSERT INTO repository_label (repository_id, name, label_value) VALUES (:id, :n, :v)")
                    .bind("id", repositoryId).bind("n", l.name()).bind("v", l.value()).execute();
        }
    }

    /** The labels of the named repositories (those without labels are absent), for a listing. */
    public static Map<String, List<Label>> labelsOf(Handle h, List<String> repositories) {
        Map<String, List<Label>> byName = new LinkedHashMap<>();
        if (repositories.isEmpty()) {
            return byName;
        }
        h.createQuery("""
                        SELECT r.name, l.name, l.label_value FROM repository_label l JOIN repository r ON r.id = l.repository_id
                        WHERE r.name IN (<names>) ORDER BY r.name, l.name""")
                .bindList("names", repositories)
                .map((rs, ctx) -> Map.entry(rs.getString(1), new Label(rs.getString(2), rs.getString(3))))
                .forEach(e -> byName.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        return byName;
    }
}
