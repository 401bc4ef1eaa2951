package dev.bollard.registry;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.oci.RepositoryName;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/** Looking up a repository that a read needs to exist. */
final class Repositories {
    private Repositories() {
    }

    static long require(Handle h, RepositoryName name) {
        return RepositoryDao.findId(h, name.value()).orElseThrow(() -> new BollardException(ErrorCode.NAME_UNKNOWN,
                "repository " + name + " not known to registry", Map.of("name", name.value())));
    }
}
