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

    /**
     * A target that is a symbolic link is written where the link points, as a shell's redirection writes it:
     * the link stays. The rename replaced the link itself, which for {@code /dev/stdout} given as an output
     * by root replaced the system's link with a regular file.
     */
    @Test
    void aLinkIsWrittenWhereItPointsAndStays(@TempDir Path dir) throws Exception {
        Path real = Files.createDirectory(dir.resolve("takes")).resolve("take3.bin");
        Files.writeString(real, "previous");
        Path link = Files.createSymbolicLink(dir.resolve("latest.bin"), Path.of("takes", "take3.bin"));
        Path chain = Files.createSymbolicLink(dir.resolve("chain.bin"), link);
        try (AtomicFile f = AtomicFile.create(chain)) {
            assertThat(f.target()).isEqualTo(real);
            assertThat(f.temporary().getParent()).isEqualTo(real.getParent());
            f.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.US_ASCII)));
            f.commit();
        }
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.isSymbolicLink(chain)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("new");
        Path dangling = Files.createSymbolicLink(dir.resolve("new.bin"), Path.of("takes", "new-take.bin"));
        AtomicFile.write(dangling, new byte[] {7});
        assertThat(Files.isSymbolicLink(dangling)).isTrue();
        assertThat(Files.readAllBytes(dir.resolve("takes/new-take.bin"))).containsExactly(7);
    }

    /** A link to a pipe (as {@code /dev/stdout} is, to the tool's output) is not a file a rename may replace. */
    @Test
    void aLinkToAPipeIsRefused(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor())
                .isZero();
        Path link = Files.createSymbolicLink(dir.resolve("out.bin"), fifo);
        assertThatThrownBy(() -> AtomicFile.checkReplaceable(link))
                .isInstanceOf(java.nio.file.FileSystemException.class)
                .hasMessageContaining("not a regular file");
        assertThatThrownBy(() -> AtomicFile.create(link)).isInstanceOf(java.nio.file.FileSystemException.class);
        assertThat(Files.isSymbolicLink(link)).isTrue();
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
