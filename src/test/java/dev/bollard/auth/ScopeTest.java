package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScopeTest {

    @Test
    void parsesDockerScopes() {
        assertThat(Scope.parse("repository:ns/app:pull,push"))
                .isEqualTo(new Scope("repository", "ns/app", Set.of("pull", "push")));
        assertThat(Scope.parse("registry:catalog:*")).isEqualTo(new Scope("registry", "catalog", Set.of("*")));
        assertThat(Scope.parse("repository(plugin):ns/app:pull")).isEqualTo(new Scope("repository", "ns/app", Set.of("pull")));
        assertThat(Scope.parse("repository:ns/app:")).isNull();
        assertThat(Scope.parse("repository::pull")).isNull();
        assertThat(Scope.parse("garbage")).isNull();
    }

    @Test
    void parsesRepeatedAndSpaceSeparatedScopesAndMergesTheSameResource() {
        List<Scope> scopes = Scope.parseAll(List.of("repository:a/x:pull repository:b/y:push", "repository:a/x:push"));
        assertThat(scopes).containsExactly(new Scope("repository", "a/x", Set.of("pull", "push")),
                new Scope("repository", "b/y", Set.of("push")));
    }

    @Test
    void grantIsTheIntersectionOfRequestAndLevel() {
        Scope pullPush = Scope.parse("repository:ns/app:pull,push");
        assertThat(pullPush.grantedBy(Level.NONE)).isEmpty();
        assertThat(pullPush.grantedBy(Level.READ)).containsExactly("pull");
        assertThat(pullPush.grantedBy(Level.WRITE)).containsExactlyInAnyOrder("pull", "push");
        assertThat(Scope.parse("repository:ns/app:pull").grantedBy(Level.ADMIN)).containsExactly("pull");
        Scope all = Scope.parse("repository:ns/app:*");
        assertThat(all.grantedBy(Level.READ)).containsExactly("pull");
        assertThat(all.grantedBy(Level.WRITE)).containsExactlyInAnyOrder("pull", "push", "delete");
        assertThat(all.grantedBy(Level.ADMIN)).containsExactlyInAnyOrder("pull", "push", "delete", "*");
        assertThat(Scope.parse("repository:ns/app:pull,frobnicate").grantedBy(Level.ADMIN)).containsExactly("pull");
    }

    @Test
    void coversOnlyItsOwnResourceAndActions() {
        Scope s = new Scope("repository", "a/x", Set.of("pull"));
        assertThat(s.covers("repository", "a/x", "pull")).isTrue();
        assertThat(s.covers("repository", "a/x", "push")).isFalse();
        assertThat(s.covers("repository", "a/y", "pull")).isFalse();
        assertThat(s.covers("registry", "a/x", "pull")).isFalse();
        assertThat(new Scope("repository", "a/x", Set.of("*")).covers("repository", "a/x", "delete")).isTrue();
    }
}
