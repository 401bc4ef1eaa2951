package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Tag listing and the catalog: lexical order, n/last pagination, Link headers, invalid n. */
class TagsAndCatalogTest extends ConformanceSupport {

    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    /** Tags in an order other than lexical, covering every character class a tag may use. */
    private static final List<String> UNSORTED_TAGS = List.of("a_1", "b", "B", "10", "9", "a.1", "a-1", "a", "Z9", "_x");
    /** Byte order: '-' < '.' < digits < upper case < '_' < lower case. */
    private static final List<String> SORTED_TAGS = List.of("10", "9", "B", "Z9", "_x", "a", "a-1", "a.1", "a_1", "b");

    private String repoWithTags(List<String> tags) {
        String repo = repo("tags");
        Image image = pushImage(repo, tags.get(0));
        for (String t : tags.subList(1, tags.size())) {
            pushManifest(repo, t, Oci.OCI_MANIFEST, image.json());
        }
        return repo;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String nextLink(Resp r) {
        String link = r.header("Link").orElseThrow(() -> new AssertionError("no Link in " + r));
        Matcher m = NEXT_LINK.matcher(link);
        assertThat(m.find()).as("Link %s", link).isTrue();
        return m.group(1);
    }

    @Test
    void tagsAreListedInLexicalByteOrder() {
        String repo = repoWithTags(UNSORTED_TAGS);
        Resp r = get("/v2/" + repo + "/tags/list");
        assertStatus(r, 200);
        assertThat(r.header("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        assertThat(r.json().path("name").asText()).isEqualTo(repo);
        assertThat(strings(r.json().path("tags"))).containsExactlyElementsOf(SORTED_TAGS);
        assertThat(r.header("Link")).as("Link of %s", r).isEmpty();
    }

    @Test
    void paginationWithNFollowsLinkHeadersToTheEnd() {
        String repo = repoWithTags(UNSORTED_TAGS);
        Resp first = get("/v2/" + repo + "/tags/list?n=3");
        assertStatus(first, 200);
        assertThat(strings(first.json().path("tags"))).containsExactly("10", "9", "B");
        assertHeader(first, "Link", "</v2/" + repo + "/tags/list?n=3&last=B>; rel=\"next\"");

        List<String> all = new ArrayList<>(strings(first.json().path("tags")));
        String next = nextLink(first);
        int pages = 1;
        while (next != null) {
            Resp page = get(next);
            assertStatus(page, 200);
            List<String> tags = strings(page.json().path("tags"));
            assertThat(tags).hasSizeLessThanOrEqualTo(3).isNotEmpty();
            all.addAll(tags);
            pages++;
            next = page.header("Link").isPresent() ? nextLink(page) : null;
            assertThat(pages).isLessThan(10);
        }
        assertThat(all).containsExactlyElementsOf(SORTED_TAGS);
        assertThat(pages).isEqualTo(4); // 3 + 3 + 3 + 1
    }

    @Test
    void lastReturnsTagsStrictlyAfterIt() {
        String repo = repoWithTags(UNSORTED_TAGS);
        Resp r = get("/v2/" + repo + "/tags/list?last=a");
        assertStatus(r, 200);
        assertThat(strings(r.json().path("tags"))).containsExactly("a-1", "a.1", "a_1", "b");

        Resp notATag = get("/v2/" + repo + "/tags/list?last=Y");
        assertStatus(notATag, 200);
        assertThat(strings(notATag.json().path("tags"))).containsExactly("Z9", "_x", "a", "a-1", "a.1", "a_1", "b");

        Resp pastTheEnd = get("/v2/" + repo + "/tags/list?last=zzz");
        assertStatus(pastTheEnd, 200);
        assertThat(strings(pastTheEnd.json().path("tags"))).isEmpty();
    }

    @Test
    void nAndLastTogether() {
        String repo = repoWithTags(UNSORTED_TAGS);
        Resp r = get("/v2/" + repo + "/tags/list?n=2&last=Z9");
        assertStatus(r, 200);
        assertThat(strings(r.json().path("tags"))).containsExactly("_x", "a");
        assertHeader(r, "Link", "</v2/" + repo + "/tags/list?n=2&last=a>; rel=\"next\"");
    }

    @Test
    void noLinkWhenThePageTakesTheRest() {
        String repo = repoWithTags(List.of("x", "y", "z"));
        Resp exact = get("/v2/" + repo + "/tags/list?n=3");
        assertStatus(exact, 200);
        assertThat(strings(exact.json().path("tags"))).containsExactly("x", "y", "z");
        assertThat(exact.header("Link")).as("Link of %s", exact).isEmpty();

        Resp more = get("/v2/" + repo + "/tags/list?n=100");
        assertStatus(more, 200);
        assertThat(strings(more.json().path("tags"))).containsExactly("x", "y", "z");
        assertThat(more.header("Link")).isEmpty();

        Resp tail = get("/v2/" + repo + "/tags/list?n=2&last=x");
        assertStatus(tail, 200);
        assertThat(strings(tail.json().path("tags"))).containsExactly("y", "z");
        assertThat(tail.header("Link")).isEmpty();
    }

    @Test
    void nZeroIsAnEmptyList() {
        String repo = repoWithTags(List.of("x", "y"));
        Resp r = get("/v2/" + repo + "/tags/list?n=0");
        assertStatus(r, 200);
        assertThat(r.json().path("name").asText()).isEqualTo(repo);
        assertThat(r.json().path("tags").isArray()).as("tags of %s", r).isTrue();
        assertThat(r.json().path("tags").size()).isZero();
    }

    @Test
    void invalidNIs400PaginationNumberInvalid() {
        String repo = repoWithTags(List.of("x"));
        for (String n : new String[] {"-1", "abc", "1.5", ""}) {
            Resp r = get("/v2/" + repo + "/tags/list?n=" + n);
            assertThat(r.status()).as("n=%s: %s", n, r).isEqualTo(400);
            assertThat(r.errorCodes()).as("n=%s: %s", n, r).contains("PAGINATION_NUMBER_INVALID");
        }
    }

    @Test
    void tagsOfAnUnknownRepositoryIs404NameUnknown() {
        assertError(get("/v2/" + repo("tags-never") + "/tags/list"), 404, "NAME_UNKNOWN");
    }

    @Test
    void repositoryWithBlobsButNoTagsListsNoTags() {
        String repo = repo("tags");
        pushBlob(repo, Oci.randomBytes(10));
        Resp r = get("/v2/" + repo + "/tags/list");
        assertStatus(r, 200);
        assertThat(r.json().path("name").asText()).isEqualTo(repo);
        assertThat(r.json().path("tags").isArray()).as("tags of %s", r).isTrue();
        assertThat(r.json().path("tags").size()).isZero();
    }

    @Test
    void untaggedManifestIsNotListed() {
        String repo = repoWithTags(List.of("t"));
        Image extra = pushImage(repo, "u");
        assertStatus(delete("/v2/" + repo + "/manifests/u"), 202);
        assertThat(tags(repo)).containsExactly("t");
        assertStatus(get("/v2/" + repo + "/manifests/" + extra.digest()), 200);
    }

    // ------------------------------------------------------------------ catalog

    private List<String> catalog(String query) {
        Resp r = get("/v2/_catalog" + query);
        assertStatus(r, 200);
        return strings(r.json().path("repositories"));
    }

    @Test
    void catalogListsRepositoriesInLexicalOrder() {
        String prefix = repo("catalog");
        List<String> mine = List.of(prefix + "/b", prefix + "/a-z", prefix + "/a", prefix + "/a.b", prefix + "/a/c");
        for (String r : mine) {
            pushImage(r, "v1");
        }
        Resp r = get("/v2/_catalog");
        assertStatus(r, 200);
        assertThat(r.header("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        List<String> all = strings(r.json().path("repositories"));
        assertThat(all).containsAll(mine);
        assertThat(all).isSortedAccordingTo(String::compareTo);
        assertThat(all).doesNotHaveDuplicates();
        List<String> ours = all.stream().filter(n -> n.startsWith(prefix + "/")).toList();
        assertThat(ours).containsExactly(prefix + "/a", prefix + "/a-z", prefix + "/a.b", prefix + "/a/c",
                prefix + "/b");
    }

    @Test
    void catalogPaginationWalksTheWholeCatalog() {
        String prefix = repo("catalog");
        for (String s : List.of("p", "q", "r")) {
            pushImage(prefix + "/" + s, "v1");
        }
        List<String> full = catalog("");
        Resp page = get("/v2/_catalog?n=2");
        assertStatus(page, 200);
        List<String> walked = new ArrayList<>(strings(page.json().path("repositories")));
        assertThat(walked).hasSize(Math.min(2, full.size()));
        int guard = 0;
        while (page.header("Link").isPresent()) {
            String next = nextLink(page);
            assertThat(next).startsWith("/v2/_catalog?");
            assertThat(next).contains("n=2");
            page = get(next);
            assertStatus(page, 200);
            List<String> repos = strings(page.json().path("repositories"));
            assertThat(repos).hasSizeLessThanOrEqualTo(2);
            walked.addAll(repos);
            assertThat(++guard).isLessThan(1000);
        }
        assertThat(walked).containsExactlyElementsOf(full);
    }

    @Test
    void catalogLastAndN() {
        String prefix = repo("catalog");
        for (String s : List.of("p", "q", "r")) {
            pushImage(prefix + "/" + s, "v1");
        }
        List<String> after = catalog("?n=2&last=" + prefix + "/p");
        assertThat(after).containsExactly(prefix + "/q", prefix + "/r");
        assertThat(catalog("?last=" + prefix + "/q")).startsWith(prefix + "/r");
    }

    @Test
    void catalogNZeroIsEmpty() {
        pushImage(repo("catalog"), "v1");
        Resp r = get("/v2/_catalog?n=0");
        assertStatus(r, 200);
        assertThat(r.json().path("repositories").isArray()).as("repositories of %s", r).isTrue();
        assertThat(r.json().path("repositories").size()).isZero();
    }

    @Test
    void catalogInvalidNIs400PaginationNumberInvalid() {
        for (String n : new String[] {"-1", "x"}) {
            Resp r = get("/v2/_catalog?n=" + n);
            assertThat(r.status()).as("n=%s: %s", n, r).isEqualTo(400);
            assertThat(r.errorCodes()).as("n=%s: %s", n, r).contains("PAGINATION_NUMBER_INVALID");
        }
    }
}
