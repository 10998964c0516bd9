package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./usbd} launcher script, run as a subprocess in a scratch tree with a stand-in Maven wrapper
 * (which prints what Maven prints and writes the build output, waiting for a go-ahead) and a stand-in
 * {@code java} (which prints its arguments): what the script builds, when, with what progress, and what
 * class path it runs. The real script and the real build run in {@code UsbdLauncherIT} and the real-kernel
 * stage.
 */
class UsbdLauncherTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path clone;

    @TempDir
    Path elsewhere;

    private Path args;
    private Path go;

    private static final String FAKE_MVNW = """
            #!/usr/bin/env bash
            # stands in for the Maven wrapper: records its arguments, prints Maven's lines, writes the build output
            root="$(cd "$(dirname "$0")" && pwd)"
            echo "$*" >> "$root/mvnw.args"
            echo "[INFO] Scanning for projects..."
            echo "[INFO] Building usbd4j 0.1.0-SNAPSHOT                                     [1/4]"
            echo "Downloading from central: https://repo.maven.apache.org/maven2/x.pom"
            echo "Downloaded from central: https://repo.maven.apache.org/maven2/x.pom (1 kB)"
            echo "[INFO] Building usbd4j API 0.1.0-SNAPSHOT                                 [2/4]"
            echo "[INFO] Compiling 62 source files with javac [debug release 17] to target/classes"
            # the rest of the build waits for the test's go-ahead: progress must show before the build ends
            for i in $(seq 1 600); do [ -f "$root/go" ] && break; sleep 0.1; done
            if [ -f "$root/fail" ]; then echo "[ERROR] COMPILATION ERROR"; exit 1; fi
            echo "[INFO] Compiling 18 source files with javac [debug release 17 module-path] to target/test-classes"
            for m in usbd-api usbd-impl sample-drivers; do
              mkdir -p "$root/$m/target"; touch "$root/$m/target/$m-0.1.0-SNAPSHOT.jar"
              echo "[INFO] Building jar: $root/$m/target/$m-0.1.0-SNAPSHOT.jar"
            done
            touch "$root/sample-drivers/target/sample-drivers-0.1.0-SNAPSHOT-tests.jar"
            mkdir -p "$root/m2"; touch "$root/m2/picocli.jar"
            echo "[INFO] Building usbd4j runtime 0.1.0-SNAPSHOT                             [3/4]"
            echo "[INFO] Building usbd4j sample drivers 0.1.0-SNAPSHOT                      [4/4]"
            printf '%s' "$root/usbd-api/target/usbd-api-0.1.0-SNAPSHOT.jar:$root/usbd-impl/target/usbd-impl-0.1.0-SNAPSHOT.jar:$root/m2/picocli.jar" > "$root/sample-drivers/target/usbd.classpath"
            echo "[INFO] BUILD SUCCESS"
            """;

    private static final String FAKE_JAVA = """
            #!/usr/bin/env bash
            echo "JAVA $*"
            echo "CWD $PWD"
            """;

    private static void write(Path file, String text, boolean executable) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
        if (executable) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @BeforeEach
    void tree() throws IOException {
        Files.copy(Path.of("..", "usbd"), clone.resolve("usbd"));
        Files.setPosixFilePermissions(clone.resolve("usbd"), PosixFilePermissions.fromString("rwxr-xr-x"));
        write(clone.resolve("mvnw"), FAKE_MVNW, true);
        write(clone.resolve("java"), FAKE_JAVA, true);
        for (String m : List.of("", "usbd-api/", "usbd-impl/", "sample-drivers/")) {
            write(clone.resolve(m + "pom.xml"), "<project/>", false);
        }
        write(clone.resolve("usbd-api/src/main/java/A.java"), "class A {}", false);
        write(clone.resolve("usbd-impl/src/main/java/B.java"), "class B {}", false);
        write(clone.resolve("sample-drivers/src/main/java/C.java"), "class C {}", false);
        args = clone.resolve("mvnw.args");
        go = clone.resolve("go");
    }

    record Run(int exit, String out, String err) {}

    private Process launch(String... toolArgs) throws IOException {
        List<String> cmd =
                new java.util.ArrayList<>(List.of(clone.resolve("usbd").toString()));
        cmd.addAll(List.of(toolArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(elsewhere.toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA", clone.resolve("java").toString());
        env.remove("USBD_REBUILD");
        return pb.start();
    }

    private static Run finish(Process p) throws Exception {
        assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        return new Run(
                p.exitValue(),
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private Run built(String... toolArgs) throws Exception {
        Files.writeString(go, "");
        return finish(launch(toolArgs));
    }

    private long builds() throws IOException {
        return Files.exists(args) ? Files.readAllLines(args).size() : 0;
    }

    @Test
    void theFirstRunShowsProgressWhileItBuildsThenRunsTheCloneItsRuntimeClassPath() throws Exception {
        Process p = launch("--version");
        InputStream err = p.getErrorStream();
        StringBuilder seen = new StringBuilder();
        // the build is held until the go-ahead: these lines must arrive while it runs
        await().atMost(BOUND).until(() -> {
            while (err.available() > 0) {
                seen.append((char) err.read());
            }
            return seen.toString().contains("compiling 62 source files");
        });
        assertThat(seen.toString())
                .contains("usbd: building usbd4j with the Maven wrapper: first use")
                .contains("usbd:   [1/4] usbd4j\n")
                .contains("usbd:     fetching dependencies (first build only)")
                .contains("usbd:   [2/4] usbd4j API\n");
        assertThat(p.isAlive()).isTrue();
        Files.writeString(go, "");
        Run r = finish(p);
        String allErr = seen + r.err();
        assertThat(r.exit()).as(allErr).isZero();
        assertThat(allErr)
                .contains("usbd:     compiling 18 test sources")
                .contains("usbd:     jar usbd-impl-0.1.0-SNAPSHOT.jar")
                .contains("usbd:   [4/4] usbd4j sample drivers")
                .containsPattern("usbd: built in \\d+ s");
        assertThat(Files.readString(args).strip())
                .isEqualTo("-B -DskipTests -DskipITs package -pl sample-drivers -am")
                .doesNotContain("install");
        assertThat(r.out())
                .contains(" -cp " + clone.resolve("sample-drivers/target/sample-drivers-0.1.0-SNAPSHOT.jar") + ":"
                        + clone.resolve("usbd-api/target/usbd-api-0.1.0-SNAPSHOT.jar") + ":")
                .contains("io.github.usbd4j.samples.tool.UsbdTool --version")
                .doesNotContain("-tests.jar")
                .contains("CWD " + elsewhere.toRealPath());
    }

    @Test
    void aFreshBuildIsNotRebuiltButAChangedSourceIs() throws Exception {
        assertThat(built("list").exit()).isZero();
        assertThat(builds()).isEqualTo(1);
        Run again = built("list");
        assertThat(again.err()).isEmpty();
        assertThat(builds()).as("nothing changed: no build").isEqualTo(1);

        Path source = clone.resolve("usbd-impl/src/main/java/B.java");
        Files.setLastModifiedTime(source, FileTime.from(Instant.now().plusSeconds(5)));
        Run changed = built("list");
        assertThat(changed.exit()).isZero();
        assertThat(changed.err())
                .contains("rebuilding usbd4j with the Maven wrapper: sources changed (usbd-impl/src/main");
        assertThat(builds()).isEqualTo(2);
    }

    @Test
    void aClassPathFromTheLocalRepositoryIsRebuilt() throws Exception {
        assertThat(built("list").exit()).isZero();
        Path cp = clone.resolve("sample-drivers/target/usbd.classpath");
        Files.writeString(
                cp,
                Files.readString(cp)
                        .replace(clone + "/usbd-impl/target/", System.getProperty("user.home") + "/.m2/repository/x/"));
        Run r = built("list");
        assertThat(r.err()).contains("the class path does not use this clone's usbd-impl");
        assertThat(builds()).isEqualTo(2);
        assertThat(Files.readString(cp)).contains(clone + "/usbd-impl/target/");
    }

    @Test
    void theLauncherRunsThroughASymlinkFromAnotherDirectory() throws Exception {
        Path link = Files.createSymbolicLink(elsewhere.resolve("usbd"), clone.resolve("usbd"));
        Files.writeString(go, "");
        ProcessBuilder pb = new ProcessBuilder(link.toString(), "--version").directory(elsewhere.toFile());
        pb.environment().put("JAVA", clone.resolve("java").toString());
        Run r = finish(pb.start());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .contains(" -cp " + clone.resolve("sample-drivers/target/sample-drivers-0.1.0-SNAPSHOT.jar"))
                .contains("CWD " + elsewhere.toRealPath());
    }

    /** A {@code JAVA} that is no program: one line and exit 1, as the exit-code table says; it was bash's 127. */
    @Test
    void aJavaThatCannotRunIsSaidAndExits1() throws Exception {
        assertThat(built("list").exit()).isZero();
        ProcessBuilder pb = new ProcessBuilder(clone.resolve("usbd").toString(), "list").directory(elsewhere.toFile());
        pb.environment().put("JAVA", clone.resolve("no-such-java").toString());
        Run r = finish(pb.start());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .isEqualTo("usbd: cannot run java: " + clone.resolve("no-such-java")
                        + " is not a program (set JAVA to a java executable, or put java on the PATH)\n");
    }

    @Test
    void aFailedBuildSaysWhereTheLogIsAndExits1() throws Exception {
        Files.writeString(clone.resolve("fail"), "");
        Run r = built("list");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .contains("usbd:   [ERROR] COMPILATION ERROR")
                .contains("usbd: the build failed (exit 1); see "
                        + clone.resolve("sample-drivers/target/usbd-build.log"));
        assertThat(r.out()).isEmpty();
    }
}
