package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.site.ExampleCompiler.Compiled;
import io.github.usbd4j.samples.site.ExampleCompiler.Example;
import io.github.usbd4j.samples.site.RepoDocs.CodeBlock;
import io.github.usbd4j.samples.site.RepoDocs.Doc;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java example of the documentation compiles and runs: the {@code ```java} blocks of the README files
 * and the site's pages, and the {@code <pre>} code blocks of the javadoc. An example is one of
 *
 * <ul>
 *   <li>a <b>snippet</b>: exactly the code between {@code // snippet:NAME} and {@code // snippet:end} in
 *       a test of this module, which compiles and runs it (the porting guide, simulated devices, samples);
 *   <li>a <b>fragment</b>: its first line is a comment that starts with {@code // fragment:} and says what
 *       it leaves out (a side-by-side excerpt, code that needs real hardware), visible to readers too;
 *       it is skipped;
 *   <li>otherwise <b>runnable</b>: a program with a {@code main} method is compiled as printed, and a block
 *       of statements inside a {@code main} method with the imports of every API package; then it runs.
 * </ul>
 *
 * <p>A failure names the file and line of the example ({@code src-site/markdown/x.md:42: error: ...}).
 * Blocks in other languages ({@code ```c}, {@code ```xml}, {@code ```sh}) are not Java and not checked.
 */
class CodeExamplesTest {
    static final String FRAGMENT = "// fragment:";
    private static final Pattern JAVADOC_CODE = Pattern.compile("<pre>\\{@code\\n(.*?)}</pre>", Pattern.DOTALL);
    private static final Pattern SNIPPET_MARKER = Pattern.compile("// snippet:(\\w+)\\n");

    @TempDir
    Path tmp;

    @Test
    void everyJavaExampleIsASnippetAFragmentOrCompilesAndRuns() throws Exception {
        List<Example> examples = javaExamples();
        Set<String> snippets = snippets();
        List<Example> runnable = new ArrayList<>();
        List<String> fragments = new ArrayList<>();
        int snippetBacked = 0;
        for (Example e : examples) {
            String firstLine = e.code().strip().lines().findFirst().orElse("");
            if (firstLine.startsWith(FRAGMENT)) {
                fragments.add(e.where());
            } else if (snippets.contains(normalize(e.code()))) {
                snippetBacked++;
            } else {
                runnable.add(e);
            }
        }
        ExampleCompiler compiler = new ExampleCompiler(tmp, apiImports());
        List<Compiled> compiled = compiler.compile(runnable);
        assertThat(compiler.errors())
                .as("examples that are neither a test's snippet nor a marked fragment must compile")
                .isEmpty();
        List<String> failures = new ArrayList<>();
        ClassLoader loader = compiler.loader();
        for (Compiled c : compiled) {
            if (c.hasMain()) {
                String failure = run(loader, c);
                if (failure != null) {
                    failures.add(c.example().where() + ": " + failure);
                }
            }
        }
        System.out.printf(
                "CodeExamplesTest: %d Java examples: %d run here, %d run by their page test, %d fragments skipped %s%n",
                examples.size(), compiled.size(), snippetBacked, fragments.size(), fragments);
        assertThat(failures).as("examples that fail when run").isEmpty();
        assertThat(examples).as("examples found").hasSizeGreaterThan(10);
    }

    /** Runs an example's main on its own thread, its output captured, for at most 30 s. */
    private static String run(ClassLoader loader, Compiled c) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = System.out;
        Throwable[] thrown = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                loader.loadClass(c.className())
                        .getMethod("main", String[].class)
                        .invoke(null, (Object) new String[0]);
            } catch (InvocationTargetException e) {
                thrown[0] = e.getCause();
            } catch (ReflectiveOperationException | RuntimeException e) {
                thrown[0] = e;
            }
        });
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            t.start();
            t.join(TimeUnit.SECONDS.toMillis(30));
        } finally {
            System.setOut(out);
        }
        if (t.isAlive()) {
            t.interrupt();
            return "still running after 30 s";
        }
        return thrown[0] == null ? null : thrown[0].toString();
    }

    /** Every Java example of the READMEs, the site and the javadoc. */
    static List<Example> javaExamples() {
        List<Example> examples = new ArrayList<>();
        List<Doc> markdown = new ArrayList<>(RepoDocs.readmes());
        markdown.addAll(RepoDocs.sitePages());
        for (Doc doc : markdown) {
            for (CodeBlock b : RepoDocs.fencedBlocks(doc.text())) {
                if (b.info().equals("java")) {
                    examples.add(new Example(doc.name(), doc.lineOf(b.offset()), b.code()));
                }
            }
        }
        for (Doc java : RepoDocs.javaSources()) {
            if (!java.name().contains("/src/main/java/")) {
                continue;
            }
            Matcher m = JAVADOC_CODE.matcher(java.text());
            while (m.find()) {
                String code = m.group(1)
                        .lines()
                        .map(l -> l.replaceFirst("^\\s*\\* ?", ""))
                        .map(l -> l.replace("&#64;", "@"))
                        .collect(Collectors.joining("\n", "", "\n"));
                examples.add(new Example(java.name(), java.lineOf(m.start(1)), code));
            }
        }
        return examples;
    }

    /** The {@code // snippet:NAME} regions of this module's tests, normalized. */
    private static Set<String> snippets() throws Exception {
        Set<String> snippets = new TreeSet<>();
        try (var files = Files.walk(Path.of("src/test/java"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(p, StandardCharsets.UTF_8);
                Matcher m = SNIPPET_MARKER.matcher(source);
                while (m.find()) {
                    if (!m.group(1).equals("end")) {
                        snippets.add(normalize(SimulatedDeviceExampleTest.snippet(source, m.group(1))));
                    }
                }
            }
        }
        return snippets;
    }

    private static String normalize(String code) {
        return code.lines()
                .map(String::stripTrailing)
                .collect(Collectors.joining("\n"))
                .strip();
    }

    /**
     * Wildcard imports of every API package on this module's class path (main sources outside
     * {@code internal}), and CE's constants.
     */
    static List<String> apiImports() throws Exception {
        Set<String> packages = new TreeSet<>();
        Set<String> constants = new TreeSet<>();
        for (Doc java : RepoDocs.javaSources()) {
            if (RepoDocs.isPublished(java)) {
                Matcher p = Pattern.compile("(?m)^package\\s+([\\w.]+);").matcher(java.text());
                String file = java.path().getFileName().toString();
                String classFile = file.substring(0, file.length() - ".java".length()) + ".class";
                if (p.find()
                        && CodeExamplesTest.class
                                        .getClassLoader()
                                        .getResource(p.group(1).replace('.', '/') + "/" + classFile)
                                != null) {
                    packages.add(p.group(1));
                    if (java.name().endsWith("/UsbTypes.java")) { // CE's flags and error codes, as C code uses them
                        constants.add(p.group(1) + ".UsbTypes");
                    }
                }
            }
        }
        List<String> imports = new ArrayList<>();
        packages.forEach(p -> imports.add("import " + p + ".*;"));
        for (String p : List.of("java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic")) {
            imports.add("import " + p + ".*;");
        }
        constants.forEach(c -> imports.add("import static " + c + ".*;"));
        return imports;
    }
}
