package dev.bollard.scan.sbom;

import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;

/** The image an SBOM describes: the repository it was pushed to and its platform manifest's digest. */
public record SbomSubject(RepositoryName repository, Digest digest) {

    /** {@code pkg:oci/NAME@sha256:…?repository_url=REPO}, the purl of an OCI image (name: the repository's last part). */
    String purl() {
        String repo = repository.value();
        String name = repo.substring(repo.lastIndexOf('/') + 1);
        return "pkg:oci/" + name + "@" + digest.toString().replace(":", "%3A") + "?repository_url="
                + repo.replace("/", "%2F");
    }

    String label() {
        return repository.value() + "@" + digest;
    }
}
