package dev.bollard.registry;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** One page of a listing; {@code more} is true when items remain after the last one. */
public record Page(List<String> items, boolean more) {
    public Page {
        items = List.copyOf(items);
    }

    public @Nullable String last() {
        return items.isEmpty() ? null : items.get(items.size() - 1);
    }
}
