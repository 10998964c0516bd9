package io.github.usbd4j.samples.audio;

import io.github.usbd4j.samples.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Writes a PCM WAV file as the samples arrive, through an {@link AtomicFile}: the target is replaced
 * only by {@link #finish()}, with the sizes in the header patched. The header of the temporary file is
 * patched as it grows ({@link #patchHeader()}), so even a {@code .part} file left by a killed process is
 * a valid WAV of what had arrived by then.
 */
public final class WavWriter implements AutoCloseable {
    private static final int HEADER = 44;

    private final AtomicFile file;
    private final int blockAlign;
    private long dataBytes;

    private WavWriter(AtomicFile file, int blockAlign) {
        this.file = file;
        this.blockAlign = blockAlign;
    }

    /**
     * Starts a WAV file.
     *
     * @param target the file to write
     * @param sampleRate samples per second per channel
     * @param channels channels
     * @param bitsPerSample 8, 16, 24 or 32
     * @return the writer
     * @throws IOException if the temporary file cannot be created
     */
    public static WavWriter create(Path target, int sampleRate, int channels, int bitsPerSample) throws IOException {
        WavFile format = new WavFile(sampleRate, channels, bitsPerSample, new byte[0]); // checks the format
        AtomicFile f = AtomicFile.create(target);
        try {
            f.write(ByteBuffer.wrap(format.toBytes()));
        } catch (IOException e) {
            f.close();
            throw e;
        }
        return new WavWriter(f, format.blockAlign());
    }

    /**
     * Appends samples.
     *
     * @param pcm interleaved little-endian samples, position to limit
     * @throws IOException if they cannot be written
     */
    public synchronized void write(ByteBuffer pcm) throws IOException {
        int n = pcm.remaining();
        file.write(pcm);
        dataBytes += n;
    }

    /** Sample bytes written so far. */
    public synchronized long dataBytes() {
        return dataBytes;
    }

    /** Whole sample frames written so far. */
    public synchronized long sampleFrames() {
        return dataBytes / blockAlign;
    }

    /**
     * Writes the current sizes into the header of the temporary file.
     *
     * @throws IOException if they cannot be written
     */
    public synchronized void patchHeader() throws IOException {
        long data = Math.min(dataBytes, 0xFFFF_FFFFL - 36);
        // the RIFF size counts the data chunk's pad byte, which finish() adds for an odd size
        ByteBuffer riff =
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) (36 + data + (data & 1)));
        ByteBuffer size = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) data);
        file.writeAt(riff, 4);
        file.writeAt(size, HEADER - 4);
    }

    /**
     * Patches the header and puts the file in place of the target.
     *
     * @throws IOException if that fails; the target is then unchanged
     */
    public synchronized void finish() throws IOException {
        if ((dataBytes & 1) != 0) {
            file.write(ByteBuffer.wrap(new byte[1])); // RIFF chunks are padded to even sizes
        }
        patchHeader();
        file.commit();
    }

    /** The file being written. */
    public Path target() {
        return file.target();
    }

    /** Without {@link #finish()}: deletes the temporary file; the target keeps what it had. */
    @Override
    public void close() {
        file.close();
    }
}
