package dev.bollard.http.ui;

import java.util.Locale;
import java.util.regex.Pattern;
import org.commonmark.node.Image;
import org.commonmark.node.Link;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.commonmark.renderer.html.UrlSanitizer;

/**
 * Repository descriptions rendered from Markdown (CommonMark) to HTML that is safe to put in a page as it is: raw
 * HTML in the text is escaped, not passed through; a link's or image's target is kept only when it is
 * {@code http(s)} or relative (no {@code javascript:}, {@code data:}, {@code vbscript:} …); links get
 * {@code rel="nofollow noopener noreferrer"}. Everything else CommonMark escapes itself (text, attribute values).
 */
final class Markdown {
    /** A URL that names a scheme: letters, digits, '+', '.', '-' before the first ':' (RFC 3986). */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
    private static final Parser PARSER = Parser.builder().build();
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder()
            .escapeHtml(true)
            .sanitizeUrls(true)
            .urlSanitizer(new UrlSanitizer() {
                @Override
                public String sanitizeLinkUrl(String url) {
                    return safeUrl(url);
                }

                @Override
                public String sanitizeImageUrl(String url) {
                    return safeUrl(url);
                }
            })
            .attributeProviderFactory(context -> (node, tag, attributes) -> {
                if (node instanceof Link) {
                    attributes.put("rel", "nofollow noopener noreferrer");
                } else if (node instanceof Image) {
                    attributes.put("loading", "lazy");
                }
            })
            .build();

    private Markdown() {
    }

    /** The Markdown as safe HTML. */
    static String toHtml(String markdown) {
        return RENDERER.render(PARSER.parse(markdown));
    }

    /**
     * {@code url} when it is http(s) or relative, else "" (a link to nothing). Browsers ignore tabs, newlines and
     * leading spaces in a URL's scheme ({@code java\tscript:}), so they are removed before the scheme is read.
     */
    static String safeUrl(String url) {
        String compact = url.replaceAll("[\\x00-\\x20\\x7f]", "");
        var m = SCHEME.matcher(compact);
        if (!m.find()) {
            return url; // relative: a path, a query or a fragment
        }
        String scheme = m.group().toLowerCase(Locale.ROOT);
        return scheme.equals("http:") || scheme.equals("https:") ? url : "";
    }
}
