package io.github.usbd4j.samples.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file is replaced whole at commit, or not at all. */
class AtomicFileTest {

    private static long parts(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".part")).count();
        }
    }

    @Test
    void commitReplacesTheTargetAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("out.bin");
        Files.writeString(target, "previous");
        try (AtomicFile f = AtomicFile.create(target)) {
            f.write(ByteBuffer.wrap("new ".getBytes(StandardCharsets.US_ASCII)));
            assertThat(Files.readString(target))
                    .as("untouched until the commit")
                    .isEqualTo("previous");
            assertThat(f.temporary().getParent()).isEqualTo(dir);
            f.write(ByteBuffer.wrap("data".getBytes(StandardCharsets.US_ASCII)));
            f.writeAt(ByteBuffer.wrap("N".getBytes(StandardCharsets.US_ASCII)), 0);
            f.commit();
        }
        assertThat(Files.readString(target)).isEqualTo("New data");
        assertThat(parts(dir)).isZero();
    }

    @Test
    void closeWithoutCommitLeavesThePreviousFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("out.bin");
        Files.writeString(target, "previous");
        try (AtomicFile f = AtomicFile.create(target)) {
            f.write(ByteBuffer.wrap(new byte[1000]));
        }
        assertThat(Files.readString(target)).isEqualTo("previous");
        assertThat(parts(dir)).isZero();
    }

    @Test
    void theReplacementKeepsThePermissionsAndANewFileIsNotPrivate(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("shared.bin");
        Files.writeString(target, "x");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw-r--"));
        AtomicFile.write(target, new byte[] {1});
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-rw-r--");

        Path plain = Files.createFile(dir.resolve("plain"));
        Path fresh = dir.resolve("fresh.bin");
        AtomicFile.write(fresh, new byte[] {1});
        assertThat(Files.getPosixFilePermissions(fresh))
                .as("created like any new file, under the umask")
                .isEqualTo(Files.getPosixFilePermissions(plain));
    }

    @Test
    void aDirectoryThatTakesNoFilesFailsTheCheckAndTheCreate(@TempDir Path dir) {
        assertThatThrownBy(() -> AtomicFile.checkWritableDirectory(dir.resolve("missing")))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> AtomicFile.checkWritableDirectory(Path.of("/proc")))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> AtomicFile.create(Path.of("/proc/usbd4j-test.bin")))
                .isInstanceOf(IOException.class);
    }
}
