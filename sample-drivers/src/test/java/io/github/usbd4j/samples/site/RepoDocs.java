package io.github.usbd4j.samples.site;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The project's documentation as text: the site's pages, the READMEs and the Java sources, with the parts
 * the documentation tests look at (comments, code spans, code blocks). Paths are relative to the
 * repository root, so that a failure names {@code file:line}.
 */
final class RepoDocs {
    private RepoDocs() {}

    /** A file of the repository and its text. */
    record Doc(Path root, Path path, String text) {
        String name() {
            return root.relativize(path).toString().replace('\\', '/');
        }

        int lineOf(int offset) {
            int line = 1;
            for (int i = 0; i < offset && i < text.length(); i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                }
            }
            return line;
        }

        String where(int offset) {
            return name() + ":" + lineOf(offset);
        }
    }

    /** A region of a text: [start, end). */
    record Span(int start, int end, String kind) {
        boolean contains(int offset) {
            return start <= offset && offset < end;
        }
    }

    /** The repository root: the parent of the module the tests run in. */
    static Path root() {
        Path root = Path.of("").toAbsolutePath().getParent();
        if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("src-site"))) {
            throw new IllegalStateException("not run from a module of the usbd4j checkout: " + root);
        }
        return root;
    }

    static Path siteMarkdownDir() {
        return root().resolve("src-site/markdown");
    }

    static Doc read(Path path) {
        try {
            return new Doc(root(), path, Files.readString(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every page of the site written in markdown ({@code .md}). */
    static List<Doc> sitePages() {
        return walk(siteMarkdownDir(), p -> p.toString().endsWith(".md"));
    }

    /** The README of the repository and of each module. */
    static List<Doc> readmes() {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> s = Files.list(root())) {
            for (Path p : s.sorted().toList()) {
                Path readme = Files.isDirectory(p) ? p.resolve("README.md") : p;
                if (readme.getFileName().toString().equals("README.md") && Files.isRegularFile(readme)) {
                    docs.add(read(readme));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** Every Java source of every module, main and test. */
    static List<Doc> javaSources() {
        List<Doc> docs = new ArrayList<>();
        for (Path module : modules()) {
            for (String dir : List.of("src/main/java", "src/test/java")) {
                docs.addAll(walk(module.resolve(dir), p -> p.toString().endsWith(".java")));
            }
        }
        return docs;
    }

    /** The Java sources whose javadoc is published: main sources outside {@code internal} packages. */
    static boolean isPublished(Doc java) {
        String name = java.name();
        return name.contains("/src/main/java/") && !name.contains("/internal/");
    }

    /** The module directories (those with a pom.xml below the root). */
    static List<Path> modules() {
        try (Stream<Path> s = Files.list(root())) {
            return s.filter(p -> Files.isRegularFile(p.resolve("pom.xml")))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Doc> walk(Path dir, java.util.function.Predicate<Path> filter) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(filter)
                    .sorted()
                    .map(RepoDocs::read)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- Java ----------------------------------------------------------------------------------------

    /** The comments of a Java source, kind {@code javadoc}, {@code block} or {@code line}; strings skipped. */
    static List<Span> javaComments(String src) {
        List<Span> spans = new ArrayList<>();
        int i = 0;
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (src.startsWith("\"\"\"", i)) {
                int j = src.indexOf("\"\"\"", i + 3);
                while (j > 0 && src.charAt(j - 1) == '\\') {
                    j = src.indexOf("\"\"\"", j + 1);
                }
                i = j < 0 ? n : j + 3;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && src.charAt(j) != c && src.charAt(j) != '\n') {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
            } else if (src.startsWith("//", i)) {
                int j = src.indexOf('\n', i);
                j = j < 0 ? n : j;
                spans.add(new Span(i, j, "line"));
                i = j;
            } else if (src.startsWith("/*", i)) {
                int j = src.indexOf("*/", i + 2);
                j = j < 0 ? n : j + 2;
                boolean javadoc = src.startsWith("/**", i) && !src.startsWith("/**/", i);
                spans.add(new Span(i, j, javadoc ? "javadoc" : "block"));
                i = j;
            } else {
                i++;
            }
        }
        return spans;
    }

    // ---- markdown ------------------------------------------------------------------------------------

    private static final Pattern FENCE =
            Pattern.compile("(?m)^[ \\t]*```([^\\n]*)\\n(.*?)^[ \\t]*```[ \\t]*$", Pattern.DOTALL);
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`\\n]+`");

    /** A fenced code block: its info string, its code, and where the code starts. */
    record CodeBlock(String info, String code, int offset) {}

    static List<CodeBlock> fencedBlocks(String text) {
        List<CodeBlock> blocks = new ArrayList<>();
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            blocks.add(new CodeBlock(m.group(1).strip(), m.group(2), m.start(2)));
        }
        return blocks;
    }

    /** Fenced blocks and code spans: text in them is code, not prose. */
    static List<Span> markdownCode(String text) {
        List<Span> spans = new ArrayList<>();
        Matcher f = FENCE.matcher(text);
        while (f.find()) {
            spans.add(new Span(f.start(), f.end(), "fence"));
        }
        Matcher c = CODE_SPAN.matcher(text);
        while (c.find()) {
            int at = c.start();
            if (spans.stream().noneMatch(s -> s.contains(at))) {
                spans.add(new Span(c.start(), c.end(), "code"));
            }
        }
        return spans;
    }

    static boolean inside(List<Span> spans, int offset) {
        for (Span s : spans) {
            if (s.contains(offset)) {
                return true;
            }
        }
        return false;
    }
}
