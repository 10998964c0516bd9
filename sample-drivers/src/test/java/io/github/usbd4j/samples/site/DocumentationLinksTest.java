package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.site.RepoDocs.Doc;
import io.github.usbd4j.samples.site.RepoDocs.Span;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Links and citations in the documentation, resolved against the sources (no site build needed).
 *
 * <ul>
 *   <li>Every link inside the site resolves: links of the site's pages and menu, the javadoc's
 *       {@code {@docRoot}} links into the site, the {@code [§N](reference/page.html#anchor)} links of source
 *       comments, and the READMEs' links into the repository. A link with an anchor needs a page that
 *       declares that anchor ({@code <a id="...">}), so that renamed headings cannot break it.
 *   <li>Nothing cites a document that is not part of the site (the research notes the reference was
 *       written from), and every § citation is a link into the reference.
 * </ul>
 */
class DocumentationLinksTest {

    /** Names of documents that are not part of the site or the repository. */
    static final Pattern OUTSIDE_DOCUMENT = Pattern.compile(
            "usb-iso-apis\\.md|peer-libraries\\.md|ARCHITECTURE\\.md|build-conventions\\.md|\\.\\./shared/"
                    + "|shared/spec/|shared/design/|shared/reference/");

    /** A section number of the reference (1 to 7, one sublevel); longer numbers belong to other specs. */
    static final Pattern SECTION = Pattern.compile("§\\d+(?:\\.\\d+)?[a-z]?(?![.\\d])");

    /** A § of another specification: "USB 2.0 §9.6.6", "UAC1 §5.2". */
    static final Pattern OTHER_SPEC_BEFORE = Pattern.compile(
            "(?:USB\\s*\\d[\\d.x]*|UAC\\s*\\d?|UVC\\s*[\\d.]*|specification:?)\\s*$", Pattern.CASE_INSENSITIVE);

    private static final Pattern MD_LINK =
            Pattern.compile("\\]\\(((?:[^()\\s]|\\([^()\\s]*\\))+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HREF = Pattern.compile("href=\"([^\"]+)\"");
    private static final Pattern ANCHOR_ID = Pattern.compile("<a\\s+(?:id|name)=\"([^\"]+)\"");
    private static final Pattern DOC_ROOT = Pattern.compile("\\{@docRoot}/?");
    /** A link of a source comment into the site: {@code [§1.7](reference/ce-usbd.html#s1-7)}. */
    private static final Pattern COMMENT_SITE_LINK = Pattern.compile("\\]\\((reference/[^)\\s]+)\\)");
    /** Any link into the reference, in whichever form; a file that has one counts as converted. */
    private static final Pattern REFERENCE_LINK =
            Pattern.compile("\\]\\((?:\\.\\./)*(?:src-site/markdown/)?reference/|\\{@docRoot}/\\.\\./reference/");

    /** Pages the site build generates besides the markdown pages (project info reports, javadoc). */
    private static final Set<String> GENERATED =
            Set.of("dependencies.html", "licenses.html", "modules.html", "project-info.html", "project-reports.html");

    private static final Set<String> MODULE_PAGES =
            Set.of("index.html", "dependencies.html", "licenses.html", "project-info.html");

    private final Path root = RepoDocs.root();
    private final Path site = RepoDocs.siteMarkdownDir();

    @Test
    void everyLinkInsideTheSiteResolves() {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Doc page : RepoDocs.sitePages()) {
            String dir = site.relativize(page.path().getParent()).toString().replace('\\', '/');
            List<Span> code = RepoDocs.markdownCode(page.text());
            for (Pattern p : List.of(MD_LINK, HREF)) {
                Matcher m = p.matcher(page.text());
                while (m.find()) {
                    if (!RepoDocs.inside(code, m.start())) {
                        checked++;
                        siteProblem(dir, page.path(), m.group(1))
                                .ifPresent(why -> problems.add(page.where(m.start()) + " " + why));
                    }
                }
            }
        }
        Doc menu = RepoDocs.read(root.resolve("src-site/site.xml"));
        Matcher item = HREF.matcher(menu.text());
        while (item.find()) {
            checked++;
            siteProblem("", null, item.group(1)).ifPresent(why -> problems.add(menu.where(item.start()) + " " + why));
        }
        for (Doc java : javaSourcesButThis()) {
            for (Span comment : RepoDocs.javaComments(java.text())) {
                String text = java.text().substring(comment.start(), comment.end());
                Matcher href = HREF.matcher(text);
                while (href.find()) {
                    Matcher docRoot = DOC_ROOT.matcher(href.group(1));
                    if (docRoot.lookingAt()) { // {@docRoot} is the javadoc's root, apidocs/ in the site
                        checked++;
                        String target = "apidocs/" + href.group(1).substring(docRoot.end());
                        int at = comment.start() + href.start();
                        siteProblem("", null, target).ifPresent(why -> problems.add(java.where(at) + " " + why));
                    }
                }
                Matcher link = COMMENT_SITE_LINK.matcher(text);
                while (link.find()) {
                    checked++;
                    int at = comment.start() + link.start();
                    siteProblem("", null, link.group(1)).ifPresent(why -> problems.add(java.where(at) + " " + why));
                }
            }
        }
        for (Doc readme : RepoDocs.readmes()) {
            List<Span> code = RepoDocs.markdownCode(readme.text());
            Matcher m = MD_LINK.matcher(readme.text());
            while (m.find()) {
                if (!RepoDocs.inside(code, m.start())) {
                    checked++;
                    repoProblem(readme.path(), m.group(1))
                            .ifPresent(why -> problems.add(readme.where(m.start()) + " " + why));
                }
            }
        }
        System.out.printf("DocumentationLinksTest: %d links checked%n", checked);
        assertThat(problems).as("broken links").isEmpty();
        assertThat(checked).as("links found").isGreaterThan(50);
    }

    /**
     * Files already converted to reference links (the reference pages, and every file that links into the
     * reference) cite no document outside the site and have no § citation left that is not a link.
     */
    @Test
    void convertedFilesCiteOnlyTheSite() {
        List<String> problems = new ArrayList<>();
        for (Doc doc : documentation()) {
            if (isConverted(doc)) {
                problems.addAll(citationProblems(doc));
            }
        }
        assertThat(problems).as("citations outside the site in converted files").isEmpty();
    }

    /**
     * The whole documentation: javadoc, source comments, the site's pages and the READMEs. Until the
     * one-time conversion of § citations into reference links has run, javadoc and test comments cite the
     * research notes by file name and § on purpose (so that the conversion finds them), and this test only
     * counts them; from the first Java source that links into the reference on, it enforces the rule
     * everywhere.
     */
    @Test
    void onceConverted_nothingCitesADocumentOutsideTheSite() {
        List<String> problems = new ArrayList<>();
        for (Doc doc : documentation()) {
            problems.addAll(citationProblems(doc));
        }
        boolean converted = javaSourcesButThis().stream()
                .anyMatch(d -> REFERENCE_LINK.matcher(d.text()).find());
        if (!converted) {
            System.out.printf(
                    "DocumentationLinksTest: %d citations wait for the one-time conversion into reference links;"
                            + " enforced once a Java source links into the reference%n",
                    problems.size());
            return;
        }
        assertThat(problems).as("citations outside the site").isEmpty();
    }

    /** The documentation to check; this file names the outside documents in order to find them. */
    private static List<Doc> documentation() {
        List<Doc> docs = new ArrayList<>(RepoDocs.sitePages());
        docs.addAll(RepoDocs.readmes());
        docs.addAll(javaSourcesButThis());
        return docs;
    }

    private static List<Doc> javaSourcesButThis() {
        return RepoDocs.javaSources().stream()
                .filter(d -> !d.name().endsWith("/" + DocumentationLinksTest.class.getSimpleName() + ".java"))
                .toList();
    }

    private boolean isConverted(Doc doc) {
        return doc.name().startsWith("src-site/markdown/reference/")
                || REFERENCE_LINK.matcher(doc.text()).find();
    }

    /** Names of outside documents anywhere; § citations in prose or comments that are not links. */
    static List<String> citationProblems(Doc doc) {
        List<String> problems = new ArrayList<>();
        Matcher outside = OUTSIDE_DOCUMENT.matcher(doc.text());
        while (outside.find()) {
            problems.add(doc.where(outside.start()) + " cites " + outside.group() + ", which is not part of the site");
        }
        if (doc.name().startsWith("src-site/markdown/reference/")) {
            return problems; // the reference defines the numbers: its headings and prose name them
        }
        List<Span> prose;
        if (doc.name().endsWith(".java")) {
            prose = RepoDocs.javaComments(doc.text());
        } else {
            prose = List.of(new Span(0, doc.text().length(), "markdown"));
        }
        List<Span> code = doc.name().endsWith(".md") ? RepoDocs.markdownCode(doc.text()) : List.of();
        for (Span span : prose) {
            String text = doc.text().substring(span.start(), span.end());
            Matcher s = SECTION.matcher(text);
            while (s.find()) {
                int at = span.start() + s.start();
                if (RepoDocs.inside(code, at) || isLinkText(text, s.start()) || isOtherSpec(text, s.start())) {
                    continue;
                }
                problems.add(doc.where(at) + " cites " + s.group() + " without a link into the reference");
            }
        }
        return problems;
    }

    /** Inside {@code [...](...)} or {@code <a ...>...</a>}. */
    private static boolean isLinkText(String text, int at) {
        int open = text.lastIndexOf('[', at);
        int close = text.lastIndexOf(']', at);
        if (open > close) {
            int end = text.indexOf(']', at);
            if (end > 0 && text.startsWith("(", end + 1)) {
                return true;
            }
        }
        int a = text.lastIndexOf("<a ", at);
        return a >= 0 && text.lastIndexOf("</a>", at) < a && text.indexOf("</a>", at) > 0;
    }

    private static boolean isOtherSpec(String text, int at) {
        int lineStart = text.lastIndexOf('\n', at) + 1;
        return OTHER_SPEC_BEFORE.matcher(text.substring(lineStart, at)).find();
    }

    // ---- resolving -----------------------------------------------------------------------------------

    /**
     * Why a link of the site does not resolve, or empty. {@code dir} is the page's directory relative to the
     * site root; {@code page} the page's source (for same-page anchors), or null.
     */
    private java.util.Optional<String> siteProblem(String dir, Path page, String link) {
        if (isExternal(link)) {
            return java.util.Optional.empty();
        }
        String path = link;
        String fragment = null;
        int hash = link.indexOf('#');
        if (hash >= 0) {
            path = link.substring(0, hash);
            fragment = link.substring(hash + 1);
        }
        if (path.isEmpty()) {
            if (page == null || fragment == null) {
                return java.util.Optional.of(link + ": no page");
            }
            return anchorProblem(page, fragment, link);
        }
        String target = URI.create("x:/" + (dir.isEmpty() ? "" : dir + "/"))
                .resolve(path.replace(" ", "%20"))
                .getPath()
                .substring(1);
        if (target.startsWith("../") || target.startsWith("/")) {
            return java.util.Optional.of(link + ": leaves the site");
        }
        if (target.isEmpty() || target.endsWith("/")) {
            target += "index.html";
        }
        Path source = sourceOf(target);
        if (source != null) {
            return fragment == null ? java.util.Optional.empty() : anchorProblem(source, fragment, link);
        }
        if (Files.isRegularFile(root.resolve("src-site/resources").resolve(target))
                || GENERATED.contains(target)
                || apidocsExists(target)
                || moduleSiteExists(target)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(link + ": no such page in the site (" + target + ")");
    }

    /** The markdown source of a site page, or null. */
    private Path sourceOf(String target) {
        if (!target.endsWith(".html")) {
            return null;
        }
        String base = target.substring(0, target.length() - ".html".length());
        for (String ext : List.of(".md", ".md.vm")) {
            Path p = site.resolve(base + ext);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private boolean apidocsExists(String target) {
        if (!target.startsWith("apidocs/")) {
            return false;
        }
        String rest = target.substring("apidocs/".length());
        if (Set.of("index.html", "overview-summary.html", "allclasses-index.html", "allpackages-index.html")
                .contains(rest)) {
            return true;
        }
        if (!rest.endsWith(".html") || rest.contains("/internal/")) {
            return false;
        }
        String base = rest.substring(0, rest.length() - ".html".length());
        boolean packagePage = base.endsWith("/package-summary") || base.endsWith("/package-tree");
        for (Path module : RepoDocs.modules()) {
            Path src = module.resolve("src/main/java");
            if (packagePage) {
                if (Files.isDirectory(src.resolve(base.substring(0, base.lastIndexOf('/'))))) {
                    return true;
                }
            } else {
                String outer = base.contains(".") ? base.substring(0, base.indexOf('.')) : base; // Outer.Inner.html
                if (Files.isRegularFile(src.resolve(outer + ".java"))) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean moduleSiteExists(String target) {
        int slash = target.indexOf('/');
        if (slash < 0) {
            return false;
        }
        Path module = root.resolve(target.substring(0, slash));
        String rest = target.substring(slash + 1);
        return Files.isRegularFile(module.resolve("pom.xml"))
                && (MODULE_PAGES.contains(rest)
                        || Files.isRegularFile(
                                module.resolve("src-site/resources").resolve(rest)));
    }

    private java.util.Optional<String> anchorProblem(Path page, String fragment, String link) {
        Set<String> ids = new HashSet<>();
        Matcher m = ANCHOR_ID.matcher(RepoDocs.read(page).text());
        while (m.find()) {
            ids.add(m.group(1));
        }
        if (page.toString().endsWith(".md") && !page.startsWith(site)) {
            ids.addAll(headingSlugs(RepoDocs.read(page).text()));
        }
        return ids.contains(fragment)
                ? java.util.Optional.empty()
                : java.util.Optional.of(link + ": " + root.relativize(page) + " declares no anchor '" + fragment + "'");
    }

    /** A README's link: a file of the repository, relative to the README. */
    private java.util.Optional<String> repoProblem(Path readme, String link) {
        if (isExternal(link)) {
            return java.util.Optional.empty();
        }
        int hash = link.indexOf('#');
        String path = hash >= 0 ? link.substring(0, hash) : link;
        Path target = path.isEmpty() ? readme : readme.getParent().resolve(path).normalize();
        if (!target.startsWith(root) || !Files.exists(target)) {
            return java.util.Optional.of(link + ": no such file in the repository");
        }
        if (hash >= 0 && target.toString().endsWith(".md")) {
            return anchorProblem(target, link.substring(hash + 1), link);
        }
        return java.util.Optional.empty();
    }

    /** GitHub's anchors for a markdown file's headings (READMEs are read there). */
    private static Set<String> headingSlugs(String text) {
        Set<String> slugs = new HashSet<>();
        Matcher h = Pattern.compile("(?m)^#{1,6}\\s+(.*)$").matcher(text);
        while (h.find()) {
            slugs.add(h.group(1)
                    .strip()
                    .toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N} _-]", "")
                    .replace(' ', '-'));
        }
        return slugs;
    }

    private static boolean isExternal(String link) {
        return link.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
    }
}
