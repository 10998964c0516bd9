package io.github.usbd4j.samples.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A WAV written as it arrives: the temporary file is a valid WAV after each header patch, the target only at the end. */
class WavWriterTest {

    @Test
    void thePartFileIsAValidWavAfterAPatchAndTheTargetAfterFinish(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("rec.wav");
        Files.writeString(target, "previous recording");
        byte[] pcm = new byte[4800];
        for (int i = 0; i < pcm.length; i++) {
            pcm[i] = (byte) (i * 7);
        }
        Path part;
        try (WavWriter w = WavWriter.create(target, 48_000, 1, 16)) {
            w.write(ByteBuffer.wrap(pcm, 0, 2000));
            w.patchHeader();
            try (var s = Files.list(dir)) {
                part = s.filter(p -> p.toString().endsWith(".part")).findFirst().orElseThrow();
            }
            WavFile partial = WavFile.parse(Files.readAllBytes(part));
            assertThat(partial.pcm()).hasSize(2000);
            w.write(ByteBuffer.wrap(pcm, 2000, 2800));
            assertThat(w.sampleFrames()).isEqualTo(2400);
            assertThat(Files.readString(target)).isEqualTo("previous recording");
            w.finish();
        }
        WavFile done = WavFile.read(target);
        assertThat(done.sampleRate()).isEqualTo(48_000);
        assertThat(done.channels()).isEqualTo(1);
        assertThat(done.pcm()).isEqualTo(pcm);
        assertThat(Files.exists(part)).isFalse();
    }

    @Test
    void anOddNumberOfBytesIsPaddedAndTheHeaderKeepsTheTrueSize(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("odd.wav");
        try (WavWriter w = WavWriter.create(target, 8_000, 1, 8)) {
            w.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            w.finish();
        }
        byte[] bytes = Files.readAllBytes(target);
        assertThat(bytes).hasSize(44 + 4);
        assertThat(WavFile.parse(bytes).pcm()).containsExactly(1, 2, 3);
    }
}
