package io.github.usbd4j.samples.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file written in full or not at all: the bytes go to a temporary file in the target's directory
 * ({@code .NAME.*.part}), which {@link #commit()} forces to disk and renames over the target in one
 * step. Until then the target keeps what it had, whatever happens to the writer; {@link #close()}
 * without a commit deletes the temporary file. (A killed JVM leaves the {@code .part} file behind, never a
 * truncated target.) A target named through symbolic links is the file they point to ({@link #resolve}).
 */
public final class AtomicFile implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private boolean done;

    private AtomicFile(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /**
     * Starts writing {@code target}.
     *
     * @param target the file to write
     * @return the writer
     * @throws IOException if the temporary file cannot be created (the directory is missing or not
     *     writable)
     */
    public static AtomicFile create(Path target) throws IOException {
        Path abs = resolve(target);
        Path temp = newTemporary(abs);
        try {
            if (Files.exists(abs) && Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                // the replacement keeps the permissions of the file it replaces
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(abs));
            }
            return new AtomicFile(abs, temp, FileChannel.open(temp, StandardOpenOption.WRITE));
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /**
     * Creates a new empty {@code .NAME.NNN.part} file next to {@code target}, for a writer that writes it
     * itself and moves it into place (as {@link #commit} does), or deletes it.
     *
     * @param target the file the temporary one will replace
     * @return the temporary file
     * @throws IOException if it cannot be created
     */
    public static Path createTemporary(Path target) throws IOException {
        return newTemporary(resolve(target));
    }

    /**
     * The file a rename must replace to write {@code target}: its absolute path with every symbolic link
     * followed, so that a link stays and what it points to gets the new contents, as a shell's redirection
     * writes it. The rename would otherwise replace the link itself: {@code /dev/stdout} given as an output
     * by root lost the system its link. A link to nothing yet resolves to the file it will create.
     *
     * @param target the file as the user named it
     * @return where the bytes go
     * @throws FileSystemException if it is not a file a rename may replace ({@link #checkReplaceable}), the links
     *     loop, or one cannot be read
     */
    public static Path resolve(Path target) throws IOException {
        checkReplaceable(target);
        Path p = target.toAbsolutePath();
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == MAX_LINKS) {
                throw new FileSystemException(
                        target.toString(), null, "a chain of more than " + MAX_LINKS + " symbolic links");
            }
            p = p.resolveSibling(Files.readSymbolicLink(p)); // relative to the link's directory
        }
        return p;
    }

    /** As Linux's limit on the links one path name may follow. */
    private static final int MAX_LINKS = 40;

    /**
     * A new empty {@code .NAME.NNN.part} file next to the target, created like any new file (the umask
     * applies; {@code Files.createTempFile} would make it private).
     */
    private static Path newTemporary(Path target) throws IOException {
        checkReplaceable(target);
        Path dir = target.getParent();
        for (int attempt = 0; ; attempt++) {
            long n = ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
            Path temp = dir.resolve("." + target.getFileName() + "." + n + ".part");
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Writes a whole file atomically.
     *
     * @param target the file
     * @param bytes its contents
     * @throws IOException if it cannot be written; the target is then unchanged
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        try (AtomicFile f = create(target)) {
            f.write(ByteBuffer.wrap(bytes));
            f.commit();
        }
    }

    /**
     * Checks that a file may be replaced by a rename: it does not exist, or it is a regular file, also where
     * its links point ({@link #resolve}). A device, a pipe or a socket ({@code /dev/null} given as an output,
     * or {@code /dev/stdout}, a link to one) would be replaced by a regular file, not written to: for a user
     * who can write {@code /dev}, the system would lose the device.
     *
     * @param target the file
     * @throws FileSystemException if it is anything else
     */
    public static void checkReplaceable(Path target) throws FileSystemException {
        // following links: /proc's links to a pipe or a terminal resolve to no path, yet stat reaches them
        if ((Files.exists(target) && !Files.isRegularFile(target))
                || (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
                        && !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                        && !Files.isSymbolicLink(target))) {
            throw new FileSystemException(
                    target.toString(),
                    null,
                    Files.isDirectory(target)
                            ? "is a directory"
                            : "not a regular file (a device, a pipe or a socket), which would be replaced, not"
                                    + " written to");
        }
    }

    /**
     * Checks that files can be created in a directory, by creating and deleting a temporary one: the
     * check that counts (permissions, a read-only or pseudo file system), not a guess from mode bits.
     *
     * @param dir the directory
     * @throws IOException if it is not a directory or a file cannot be created in it
     */
    public static void checkWritableDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        Files.delete(newTemporary(dir.resolve("usbd4j-check")));
    }

    /** The file this writes. */
    public Path target() {
        return target;
    }

    /** The temporary file the bytes go to until {@link #commit()}. */
    public Path temporary() {
        return temp;
    }

    /**
     * Appends bytes.
     *
     * @param data the bytes, position to limit
     * @throws IOException if they cannot be written
     */
    public synchronized void write(ByteBuffer data) throws IOException {
        try {
            while (data.hasRemaining()) {
                channel.write(data);
            }
        } catch (IOException e) {
            throw naming(e);
        }
    }

    /**
     * A write error that names the target: the channel's own (a full disk, a file size limit) says only
     * what went wrong, not with which file.
     */
    private IOException naming(IOException e) {
        if (e instanceof FileSystemException) {
            return e;
        }
        FileSystemException named = new FileSystemException(
                target.toString(), null, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        named.initCause(e);
        return named;
    }

    /**
     * Writes bytes at a position (e.g. a header to patch), without moving the append position.
     *
     * @param data the bytes
     * @param position where
     * @throws IOException if they cannot be written
     */
    public synchronized void writeAt(ByteBuffer data, long position) throws IOException {
        long p = position;
        try {
            while (data.hasRemaining()) {
                p += channel.write(data, p);
            }
        } catch (IOException e) {
            throw naming(e);
        }
    }

    /** Bytes written so far (the temporary file's size). */
    public synchronized long size() throws IOException {
        return channel.size();
    }

    /**
     * Forces the bytes to disk and renames the temporary file over the target.
     *
     * @throws IOException if that fails; the target is then unchanged and the temporary file deleted
     */
    public synchronized void commit() throws IOException {
        if (done) {
            throw new IllegalStateException("already committed or closed");
        }
        try {
            try {
                channel.force(true);
                channel.close();
            } catch (IOException e) {
                throw naming(e);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                close();
            }
        }
    }

    /** Without a {@link #commit()}: deletes the temporary file; the target keeps what it had. */
    @Override
    public synchronized void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            channel.close();
        } catch (IOException e) {
            // the file is deleted next; nothing of it is kept
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // a leftover .part file is harmless and named after the target
        }
    }
}
