package io.github.usbd4j.samples.tool;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;

/**
 * The tool's standard output, remembering the first write that failed: a {@link PrintWriter} (and
 * {@code System.out}) swallow the error, so without it a full disk or a closed pipe would leave a run's
 * output cut short and its exit code 0.
 */
final class CheckedOutput extends FilterOutputStream {
    private volatile IOException failure;

    CheckedOutput(OutputStream out) {
        super(out);
    }

    /** The process's standard output, unbuffered below the writer. */
    static CheckedOutput stdout() {
        return new CheckedOutput(new FileOutputStream(FileDescriptor.out));
    }

    /** A writer in the encoding {@code System.out} uses, flushed at every line as picocli's own. */
    PrintWriter writer() {
        String name = System.getProperty("stdout.encoding", System.getProperty("sun.stdout.encoding"));
        Charset charset;
        try {
            charset = name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (IllegalArgumentException e) {
            charset = Charset.defaultCharset();
        }
        return new PrintWriter(new BufferedWriter(new OutputStreamWriter(this, charset)), true);
    }

    /** The first write or flush that failed, or {@code null}. */
    IOException failure() {
        return failure;
    }

    @Override
    public void write(int b) throws IOException {
        try {
            out.write(b);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw failed(e);
        }
    }

    private IOException failed(IOException e) {
        if (failure == null) {
            failure = e;
        }
        return e;
    }
}
