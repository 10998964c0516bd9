package io.github.usbd4j.samples.iso;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FrameLengthsTest {
    @Test
    void at44k1NineFramesOf44ThenOneOf45() {
        FrameLengths l = FrameLengths.perMillisecond(44_100);
        for (int block = 0; block < 100; block++) {
            for (int k = 0; k < 10; k++) {
                assertThat(l.samplesInFrame(block * 10L + k)).isEqualTo(k == 9 ? 45 : 44);
            }
        }
        assertThat(l.dueBy(1000)).isEqualTo(44_100);
        assertThat(l.maxSamplesPerFrame()).isEqualTo(45);
        assertThat(FrameLengths.perMillisecond(48_000).samplesInFrame(12_345)).isEqualTo(48);
    }
}
