package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.site.ExampleCompiler.Example;
import io.github.usbd4j.samples.site.RepoDocs.CodeBlock;
import io.github.usbd4j.samples.site.RepoDocs.Doc;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The site's Getting started page (src-site/markdown/getting-started.md) tells the truth: its program
 * compiles as printed, runs in a JVM that has only {@code usbd-impl} and its dependencies (what an
 * application gets from the dependency snippet, no SLF4J provider), prints what the page says it prints,
 * and SLF4J's stderr lines are the ones the page shows; {@code main} stays within 15 lines; the dependency
 * snippets here and in the README name this build's version.
 */
class GettingStartedTest {
    private static final String PAGE = "src-site/markdown/getting-started.md";

    /** What an application's class path holds with usbd-impl: usbd-impl and its runtime dependencies. */
    private static final Pattern RUNTIME_OF_IMPL = Pattern.compile(
            ".*(/usbd-(api|impl)/target/classes|/usbd-(api|impl)-[^/]*(?<!-tests)\\.jar"
                    + "|/slf4j-api-[^/]*\\.jar|/usb4java-[^/]*\\.jar|/libusb4java-[^/]*\\.jar|/commons-lang3-[^/]*\\.jar)$");

    @TempDir
    Path tmp;

    @Test
    void theProgramRunsAsPrinted_andPrintsWhatThePageShows() throws Exception {
        Doc page = RepoDocs.read(RepoDocs.root().resolve(PAGE));
        List<CodeBlock> blocks = RepoDocs.fencedBlocks(page.text());
        CodeBlock program = blocks.stream()
                .filter(b -> b.info().equals("java") && b.code().contains("public class HelloIsoch"))
                .findFirst()
                .orElseThrow();
        String expectedOut = blockAfter(page, blocks, "It prints:");
        String expectedErr = blocks.stream()
                .filter(b -> b.info().equals("text") && b.code().startsWith("SLF4J("))
                .findFirst()
                .orElseThrow()
                .code();

        ExampleCompiler compiler = new ExampleCompiler(tmp, List.of());
        compiler.compile(List.of(new Example(page.name(), page.lineOf(program.offset()), program.code())));
        assertThat(compiler.errors()).isEmpty();

        List<String> classPath = new ArrayList<>();
        classPath.add(compiler.classes().toString());
        for (String entry : ExampleCompiler.classPath().split(File.pathSeparator)) {
            if (RUNTIME_OF_IMPL.matcher(entry.replace('\\', '/')).matches()) {
                classPath.add(entry);
            }
        }
        assertThat(String.join(" ", classPath)).contains("usbd-impl").doesNotContain("logback");
        Process process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        String.join(File.pathSeparator, classPath),
                        "HelloIsoch")
                .redirectOutput(tmp.resolve("out.txt").toFile())
                .redirectError(tmp.resolve("err.txt").toFile())
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("HelloIsoch still running after 60 s");
        }
        String out = Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
        String err = Files.readString(tmp.resolve("err.txt"), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("exit code; stderr:%n%s", err).isZero();
        assertThat(out.strip()).as("what the page says it prints").isEqualTo(expectedOut.strip());
        assertThat(err.strip()).as("the SLF4J lines the page shows").isEqualTo(expectedErr.strip());
    }

    @Test
    void mainIsAtMost15Lines() {
        Doc page = RepoDocs.read(RepoDocs.root().resolve(PAGE));
        String code = RepoDocs.fencedBlocks(page.text()).stream()
                .filter(b -> b.code().contains("public class HelloIsoch"))
                .findFirst()
                .orElseThrow()
                .code();
        List<String> lines = code.lines().toList();
        int start = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("public static void main(")) {
                start = i;
            } else if (start >= 0 && lines.get(i).equals("    }")) {
                end = i;
                break;
            }
        }
        assertThat(end - start - 1).as("lines inside main").isBetween(1, 15);
        assertThat(page.text()).contains("`main` is " + (end - start - 1) + " lines");
    }

    /** The coordinates in the page's and the README's snippets are this build's. */
    @Test
    void theSnippetsNameThisBuildsVersions() {
        String pom = RepoDocs.read(RepoDocs.root().resolve("pom.xml")).text();
        Matcher v = Pattern.compile("<artifactId>usbd4j-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(pom);
        assertThat(v.find()).isTrue();
        Matcher s = Pattern.compile("<slf4j.version>([^<]+)</slf4j.version>").matcher(pom);
        assertThat(s.find()).isTrue();
        int checked = 0;
        for (Doc doc : List.of(
                RepoDocs.read(RepoDocs.root().resolve(PAGE)),
                RepoDocs.read(RepoDocs.root().resolve("README.md")))) {
            Matcher maven = Pattern.compile(
                            "<artifactId>(usbd-\\w+|slf4j-\\w+)</artifactId>\\s*<version>([^<]+)</version>")
                    .matcher(doc.text());
            while (maven.find()) {
                String expected = maven.group(1).startsWith("usbd-") ? v.group(1) : s.group(1);
                assertThat(maven.group(2))
                        .as("%s %s", doc.where(maven.start()), maven.group(1))
                        .isEqualTo(expected);
                checked++;
            }
            Matcher gradle = Pattern.compile("\"(io\\.github\\.usbd4j|org\\.slf4j):([\\w-]+):([^\"]+)\"")
                    .matcher(doc.text());
            while (gradle.find()) {
                String expected = gradle.group(1).startsWith("io.") ? v.group(1) : s.group(1);
                assertThat(gradle.group(3))
                        .as("%s %s", doc.where(gradle.start()), gradle.group(2))
                        .isEqualTo(expected);
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(8);
    }

    private static String blockAfter(Doc page, List<CodeBlock> blocks, String text) {
        int at = page.text().indexOf(text);
        assertThat(at).as("'%s' in the page", text).isNotNegative();
        return blocks.stream()
                .filter(b -> b.offset() > at)
                .findFirst()
                .orElseThrow()
                .code();
    }
}
