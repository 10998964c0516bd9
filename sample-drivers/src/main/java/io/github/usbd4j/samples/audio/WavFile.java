package io.github.usbd4j.samples.audio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A PCM WAV file ({@code RIFF/WAVE}, format tag 1 or {@code WAVE_FORMAT_EXTENSIBLE} with PCM), read and
 * written without {@code javax.sound}.
 *
 * @param sampleRate samples per second per channel
 * @param channels channels
 * @param bitsPerSample bits per sample (8, 16, 24 or 32)
 * @param pcm the interleaved little-endian samples
 */
@SuppressWarnings("ArrayRecordComponent") // a value read and written whole; equality is never asked
public record WavFile(int sampleRate, int channels, int bitsPerSample, byte[] pcm) {

    /** Checks the format fields. */
    public WavFile {
        if (sampleRate < 1 || channels < 1 || bitsPerSample < 8 || bitsPerSample % 8 != 0) {
            throw new IllegalArgumentException(
                    "bad PCM format: " + sampleRate + " Hz, " + channels + " ch, " + bitsPerSample + " bit");
        }
    }

    /** Bytes per sample frame (all channels). */
    public int blockAlign() {
        return channels * bitsPerSample / 8;
    }

    /** Whole sample frames in {@link #pcm()}. */
    public long sampleFrames() {
        return pcm.length / blockAlign();
    }

    /**
     * Reads a WAV file.
     *
     * @throws IOException if it cannot be read or is not PCM WAV (the message says why)
     */
    public static WavFile read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException("too large: " + Files.size(file) + " bytes, more than the " + (MAX_FILE_BYTES >> 20)
                    + " MiB read at most");
        }
        return parse(Files.readAllBytes(file));
    }

    /** The largest file {@link #read} takes: it reads the file whole, into one array. */
    public static final long MAX_FILE_BYTES = 1L << 30;

    /** The data chunk length of a file written as a stream, its length unknown when the header was written. */
    private static final long UNKNOWN_LENGTH = 0xFFFF_FFFFL;

    /**
     * Parses WAV bytes.
     *
     * @throws IOException if they are not PCM WAV
     */
    public static WavFile parse(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) {
            throw new IOException("not a RIFF/WAVE file");
        }
        int pos = 12;
        int rate = 0;
        int channels = 0;
        int bits = 0;
        boolean fmt = false;
        while (pos + 8 <= bytes.length) {
            int id = b.getInt(pos);
            long size = Integer.toUnsignedLong(b.getInt(pos + 4));
            int body = pos + 8;
            if (id == 0x20746D66) { // "fmt "
                if (size < 16 || body + 16 > bytes.length) {
                    throw new IOException("fmt chunk too short");
                }
                int tag = b.getShort(body) & 0xFFFF;
                if (tag == 0xFFFE && size >= 40) {
                    tag = b.getShort(body + 24) & 0xFFFF; // the sub-format GUID starts with the tag
                }
                if (tag != 1) {
                    throw new IOException("not PCM (format tag " + tag + ")");
                }
                channels = b.getShort(body + 2) & 0xFFFF;
                rate = b.getInt(body + 4);
                bits = b.getShort(body + 14) & 0xFFFF;
                fmt = true;
            } else if (id == 0x61746164) { // "data"
                if (!fmt) {
                    throw new IOException("data chunk before fmt chunk");
                }
                long held = bytes.length - (long) body;
                if (size > held && size != UNKNOWN_LENGTH) {
                    throw new IOException("cut short: its data chunk says " + size + " bytes, the file holds " + held);
                }
                WavFile wav;
                try {
                    wav = new WavFile(rate, channels, bits, new byte[0]);
                } catch (IllegalArgumentException e) {
                    throw new IOException(e.getMessage());
                }
                long length = Math.min(size, held);
                if (size == UNKNOWN_LENGTH) {
                    length -= length % wav.blockAlign(); // the samples up to the last whole frame
                } else if (length % wav.blockAlign() != 0) {
                    throw new IOException("its data chunk of " + length + " bytes is not a whole number of "
                            + wav.blockAlign() + "-byte sample frames");
                }
                return new WavFile(rate, channels, bits, Arrays.copyOfRange(bytes, body, body + (int) length));
            }
            pos = (int) Math.min(Integer.MAX_VALUE, body + size + (size & 1));
        }
        throw new IOException("no data chunk");
    }

    /** The file's bytes: a 44-byte canonical header and the samples. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(44 + pcm.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + pcm.length).putInt(0x45564157);
        b.putInt(0x20746D66).putInt(16).putShort((short) 1).putShort((short) channels);
        b.putInt(sampleRate).putInt(sampleRate * blockAlign()).putShort((short) blockAlign());
        b.putShort((short) bitsPerSample);
        b.putInt(0x61746164).putInt(pcm.length).put(pcm);
        return b.array();
    }

    /** Writes the file. */
    public void write(Path file) throws IOException {
        Files.write(file, toBytes());
    }
}
