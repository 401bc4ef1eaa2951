package dev.bollard.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/auth.md's table of audit actions names every action the code can record. */
class AuditActionsDocsTest {

    @Test
    void everyActionIsDocumented() throws IOException, IllegalAccessException {
        String doc = Files.readString(Path.of("docs/auth.md"));
        List<String> undocumented = new ArrayList<>();
        for (Field f : AuditActions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                String action = (String) f.get(null);
                if (!doc.contains("`" + action + "`")) {
                    undocumented.add(action);
                }
            }
        }
        assertThat(undocumented).as("actions missing from docs/auth.md's audit table").isEmpty();
    }
}
