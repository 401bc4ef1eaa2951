package dev.bollard.auth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a token request's {@code scope} and of a token's {@code access} claim (Docker token spec):
 * {@code repository:ns/app:pull,push} or {@code registry:catalog:*}.
 */
record Scope(String type, String name, Set<String> actions) {
    static final String REPOSITORY = "repository";
    static final String REGISTRY = "registry";
    static final String CATALOG = "catalog";

    Scope {
        actions = Collections.unmodifiableSet(new LinkedHashSet<>(actions)); // keeps the order asked
    }

    /** Parses one scope; null when malformed. The name may not hold ':' (repository names cannot). */
    static @Nullable Scope parse(String text) {
        int first = text.indexOf(':');
        int last = text.lastIndexOf(':');
        if (first <= 0 || last == first || last == text.length() - 1) {
            return null;
        }
        String type = text.substring(0, first);
        if (type.startsWith("repository(")) { // "repository(plugin)" of old docker clients
            type = REPOSITORY;
        }
        String name = text.substring(first + 1, last);
        Set<String> actions = new LinkedHashSet<>();
        for (String a : text.substring(last + 1).split(",", -1)) {
            if (!a.isBlank()) {
                actions.add(a.trim());
            }
        }
        return name.isEmpty() || actions.isEmpty() ? null : new Scope(type, name, actions);
    }

    /**
     * Parses every scope of a request: each {@code scope} parameter may itself hold several, separated by spaces
     * (the OAuth2 form). Malformed ones are dropped; the same resource asked twice is merged.
     */
    static List<Scope> parseAll(@Nullable List<String> params) {
        Map<String, Scope> merged = new LinkedHashMap<>();
        for (String p : params == null ? List.<String>of() : params) {
            if (p == null) {
                continue;
            }
            for (String one : p.trim().split("\\s+", -1)) {
                Scope s = one.isEmpty() ? null : parse(one);
                if (s != null) {
                    merged.merge(s.type + ":" + s.name, s, (a, b) -> {
                        Set<String> both = new LinkedHashSet<>(a.actions);
                        both.addAll(b.actions);
                        return new Scope(a.type, a.name, both);
                    });
                }
            }
        }
        return new ArrayList<>(merged.values());
    }

    /** The actions of this scope that {@code level} allows; {@code *} stands for all of them. */
    Set<String> grantedBy(Level level) {
        Set<String> granted = new LinkedHashSet<>();
        for (String a : actions) {
            switch (a) {
                case "pull" -> {
                    if (level.allows(Action.PULL)) {
                        granted.add("pull");
                    }
                }
                case "push", "delete" -> {
                    if (level.allows(Action.PUSH)) {
                        granted.add(a);
                    }
                }
                case "*" -> {
                    if (level.allows(Action.PULL)) {
                        granted.add("pull");
                    }
                    if (level.allows(Action.PUSH)) {
                        granted.add("push");
                        granted.add("delete");
                    }
                    if (level == Level.ADMIN) {
                        granted.add("*");
                    }
                }
                default -> { } // unknown actions are never granted
            }
        }
        return granted;
    }

    /** True when this (granted) scope covers {@code action} on {@code type:name}. */
    boolean covers(String type, String name, String action) {
        return this.type.equals(type) && this.name.equals(name) && (actions.contains(action) || actions.contains("*"));
    }

    Map<String, Object> toClaim() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("name", name);
        m.put("actions", List.copyOf(actions));
        return m;
    }

    @Override
    public String toString() {
        return type + ":" + name + ":" + String.join(",", actions);
    }

    /** The token action a request needs, in the spec's words. */
    static String tokenAction(Action action) {
        return switch (action) {
            case PULL -> "pull";
            case PUSH -> "push";
            case DELETE -> "delete";
            case CATALOG -> "*";
            case PING -> "";
        };
    }
}
