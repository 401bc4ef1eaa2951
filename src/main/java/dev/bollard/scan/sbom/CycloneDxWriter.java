package dev.bollard.scan.sbom;

import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.cyclonedx.Version;
import org.cyclonedx.exception.GeneratorException;
import org.cyclonedx.generators.BomGeneratorFactory;
import org.cyclonedx.model.Bom;
import org.cyclonedx.model.Component;
import org.cyclonedx.model.Metadata;
import org.cyclonedx.model.Property;
import org.cyclonedx.model.metadata.ToolInformation;

/**
 * An image's inventory as a CycloneDX 1.6 JSON SBOM (media type {@code application/vnd.cyclonedx+json}): the image as
 * the metadata's container component, the operating system as an {@code operating-system} component, every package
 * as a {@code library} with its purl, where it was found ({@code bollard:path}) and its source package
 * ({@code bollard:source}); the indexer's notes as {@code bollard:note} properties, so that an incomplete inventory
 * says so. The same inventory, subject and time give the same bytes (the serial number is derived from them), so a
 * re-generated SBOM does not make a new referrer.
 */
public final class CycloneDxWriter {
    public static final String MEDIA_TYPE = "application/vnd.cyclonedx+json";

    private CycloneDxWriter() {
    }

    public static byte[] write(Inventory inventory, SbomSubject subject, Instant created) {
        Bom bom = new Bom();
        Metadata metadata = new Metadata();
        metadata.setTimestamp(Date.from(created));
        Component tool = new Component();
        tool.setType(Component.Type.APPLICATION);
        tool.setName("bollard");
        ToolInformation tools = new ToolInformation();
        tools.setComponents(List.of(tool));
        metadata.setToolChoice(tools);
        Component image = new Component();
        image.setType(Component.Type.CONTAINER);
        image.setName(subject.repository().value());
        image.setVersion(subject.digest().toString());
        image.setBomRef(subject.purl());
        image.setPurl(subject.purl());
        metadata.setComponent(image);
        List<Property> notes = new ArrayList<>();
        for (String note : inventory.notes()) {
            notes.add(property("bollard:note", note));
        }
        if (!notes.isEmpty()) {
            metadata.setProperties(notes);
        }
        bom.setMetadata(metadata);

        List<Component> components = new ArrayList<>();
        if (inventory.os() != null) {
            Component os = new Component();
            os.setType(Component.Type.OPERATING_SYSTEM);
            os.setName(inventory.os().id());
            if (inventory.os().versionId() != null) {
                os.setVersion(inventory.os().versionId());
            }
            if (inventory.os().prettyName() != null) {
                os.setDescription(inventory.os().prettyName());
            }
            os.setBomRef("os:" + inventory.os().id());
            components.add(os);
        }
        int n = 0;
        for (InstalledPackage p : inventory.packages()) {
            Component c = new Component();
            c.setType(Component.Type.LIBRARY);
            c.setName(p.name());
            c.setVersion(p.version());
            c.setPurl(p.purl());
            c.setBomRef("pkg-" + n++ + ":" + p.purl()); // unique: one jar may sit at two paths
            List<Property> properties = new ArrayList<>();
            properties.add(property("bollard:type", p.type().name()));
            properties.add(property("bollard:path", p.path()));
            if (p.sourceName() != null) {
                properties.add(property("bollard:source", p.sourceName()
                        + (p.sourceVersion() == null ? "" : " (" + p.sourceVersion() + ")")));
            }
            c.setProperties(properties);
            components.add(c);
        }
        bom.setComponents(components);
        String unserialised;
        try {
            unserialised = BomGeneratorFactory.createJson(Version.VERSION_16, bom).toJsonString();
        } catch (GeneratorException e) {
            throw new IllegalStateException("CycloneDX generation failed", e);
        }
        bom.setSerialNumber("urn:uuid:" + UUID.nameUUIDFromBytes((subject.label() + "\n" + unserialised)
                .getBytes(StandardCharsets.UTF_8)));
        try {
            return BomGeneratorFactory.createJson(Version.VERSION_16, bom).toJsonString()
                    .getBytes(StandardCharsets.UTF_8);
        } catch (GeneratorException e) {
            throw new IllegalStateException("CycloneDX generation failed", e);
        }
    }

    private static Property property(String name, String value) {
        Property p = new Property();
        p.setName(name);
        p.setValue(value);
        return p;
    }
}
